import { ValidationError, parseOrThrow } from '../../src/core/errors';
import { coerceOutputs, inputSchema, outputSchema, parseSignature, SignatureError } from '../../src/core/signature';

describe('parseSignature', () => {
  it('parses untyped fields as strings', () => {
    const sig = parseSignature('question, context -> answer');
    expect(sig.source).toBe('question, context -> answer');
    expect(sig.inputs).toEqual([
      { name: 'question', type: 'string' },
      { name: 'context', type: 'string' },
    ]);
    expect(sig.outputs).toEqual([{ name: 'answer', type: 'string' }]);
  });

  it('parses an enum output', () => {
    const sig = parseSignature('text -> sentiment: positive|negative|neutral');
    expect(sig.outputs).toEqual([{ name: 'sentiment', type: 'enum', choices: ['positive', 'negative', 'neutral'] }]);
  });

  it('parses types and descriptions, with labels containing - and _', () => {
    const sig = parseSignature(
      'question: string "a trivia question", context -> answer: string "a few words", score: int, ok: bool, tone: very-good|so_so',
    );
    expect(sig.inputs).toEqual([
      { name: 'question', type: 'string', description: 'a trivia question' },
      { name: 'context', type: 'string' },
    ]);
    expect(sig.outputs).toEqual([
      { name: 'answer', type: 'string', description: 'a few words' },
      { name: 'score', type: 'number' },
      { name: 'ok', type: 'boolean' },
      { name: 'tone', type: 'enum', choices: ['very-good', 'so_so'] },
    ]);
  });

  it('accepts a description without a type and no spaces around the arrow', () => {
    const sig = parseSignature('a "the \\"first\\" one"->b:float');
    expect(sig.inputs).toEqual([{ name: 'a', type: 'string', description: 'the "first" one' }]);
    expect(sig.outputs).toEqual([{ name: 'b', type: 'number' }]);
  });

  const errors: [string, string, number, string][] = [
    ['missing field before the arrow', 'question, -> answer', 10, 'expected a field name, found "->"'],
    ['empty inputs side', ' -> answer', 1, 'expected a field name, found "->"'],
    ['empty outputs side', 'question ->', 11, 'expected a field name, found end of signature'],
    ['missing arrow', 'question answer', 9, 'expected "," or "->", found "answer"'],
    ['missing arrow at the end', 'question', 8, 'expected "," or "->", found end of signature'],
    ['duplicate field name across sides', 'text, label -> text', 15, 'duplicate field name "text"'],
    ['unterminated description', 'q "oops -> a', 2, 'unterminated description'],
    ['unknown type', 'text -> n: integer', 11, 'unknown type "integer"'],
    ['second arrow', 'a -> b -> c', 7, 'expected "," or end of signature, found "->"'],
    ['missing enum label', 'a -> b: x|', 10, 'expected an enum label after "|", found end of signature'],
    ['unexpected character', 'a -> b?', 6, 'unexpected character "?"'],
  ];

  it.each(errors)('rejects %s at the right position', (_case, src, position, detail) => {
    let caught: unknown;
    try {
      parseSignature(src);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SignatureError);
    const error = caught as SignatureError;
    expect(error.position).toBe(position);
    expect(error.message).toContain(`Invalid signature at position ${position}: ${detail}`);
  });
});

describe('signature schemas', () => {
  const sig = parseSignature('text, n: number -> sentiment: positive|negative, score: number, ok: boolean');

  it('inputs are strict: a missing or unknown field is an error naming it', () => {
    expect(() => parseOrThrow(inputSchema(sig), { n: 1 }, 'inputs')).toThrow('inputs.text: required field is missing');
    expect(() => parseOrThrow(inputSchema(sig), { text: 'x', n: 1, extra: 1 }, 'inputs')).toThrow('inputs.extra: unknown field');
    const err = (() => {
      try {
        parseOrThrow(inputSchema(sig), { text: 'x', n: '3' }, 'inputs');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('inputs.n');
  });

  it('outputs coerce numbers, booleans and decorated labels, but only from valid text', () => {
    expect(outputSchema(sig).parse({ sentiment: ' "Positive." ', score: '0.75', ok: 'Yes' })).toEqual({
      sentiment: 'positive',
      score: 0.75,
      ok: true,
    });
    expect(coerceOutputs(sig, { sentiment: 'positive', score: 'high', ok: 'no' })).toEqual({
      ok: false,
      message: expect.stringContaining('outputs.score'),
    });
    expect(coerceOutputs(sig, { sentiment: 'happy', score: 1, ok: false })).toEqual({
      ok: false,
      message: 'outputs.sentiment: expected one of positive|negative, got "happy"',
    });
  });
});
