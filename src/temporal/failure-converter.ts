/**
 * The failure converter of a process with payload encryption: every failure's message and stack trace
 * (which can quote user text — an LM provider's error echoing the prompt, a refused label) move into an
 * encoded attribute that the payload codec seals; the history shows "Encoded failure" in their place.
 * A failure to decrypt stays in clear: it names only key ids, and an operator with the wrong key must
 * be able to read it. Loaded by path (`failureConverterPath`): workflow code converts failures too.
 */
import { DefaultFailureConverter, type PayloadConverter, type ProtoFailure, type SerializationContext } from '@temporalio/common';

const DECRYPTION_ERROR = 'PayloadDecryptionError';

const isDecryptionError = (err: unknown): boolean => {
  for (let e = err; e instanceof Error; e = e.cause) if (e.name === DECRYPTION_ERROR) return true;
  return false;
};

class SealingFailureConverter extends DefaultFailureConverter {
  private readonly clear = new DefaultFailureConverter({ encodeCommonAttributes: false });

  constructor() {
    super({ encodeCommonAttributes: true });
  }

  override errorToFailure(err: unknown, payloadConverter: PayloadConverter, context?: SerializationContext): ProtoFailure {
    return isDecryptionError(err) ? this.clear.errorToFailure(err, payloadConverter, context) : super.errorToFailure(err, payloadConverter, context);
  }
}

export const failureConverter = new SealingFailureConverter();
