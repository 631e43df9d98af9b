/** An adapter renders a program + inputs into chat messages and parses the LM's reply into output fields. */
import type { ChatMessage } from '../lm/types';
import type { ProgramSpec } from '../program';
import type { Signature } from '../signature';
import type { Fields } from '../types';

export type AdapterName = 'chat' | 'completion';

/** A reply that cannot be parsed is data (scored as wrong), never a thrown error. */
export type ParseResult = { ok: true; outputs: Fields } | { ok: false; message: string };

export interface Adapter {
  readonly name: AdapterName;
  format(program: ProgramSpec, inputs: Fields): ChatMessage[];
  parse(signature: Signature, text: string): ParseResult;
}
