/**
 * Signatures: `"question, context -> answer"`, with optional types, enum choices and descriptions:
 * `"question: string \"a trivia question\" -> answer"`, `"text -> sentiment: positive|negative"`.
 * Field := name [":" type] ["description"]; type := string|str | number|float|int | boolean|bool | a|b|c.
 */
import { z } from 'zod';
import { describeZodError, preview } from './errors';
import type { Fields } from './types';

export type FieldType = 'string' | 'number' | 'boolean' | 'enum';

export interface FieldSpec {
  name: string;
  type: FieldType;
  /** The allowed labels of an enum field. */
  choices?: string[];
  description?: string;
}

export interface Signature {
  source: string;
  inputs: FieldSpec[];
  outputs: FieldSpec[];
}

export class SignatureError extends Error {
  /** 0-based index into the signature string where parsing failed. */
  readonly position: number;

  constructor(position: number, detail: string) {
    super(`Invalid signature at position ${position}: ${detail}`);
    this.name = 'SignatureError';
    this.position = position;
  }
}

const TYPE_NAMES: Record<string, Exclude<FieldType, 'enum'>> = {
  string: 'string',
  str: 'string',
  number: 'number',
  float: 'number',
  int: 'number',
  boolean: 'boolean',
  bool: 'boolean',
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

type TokenKind = 'word' | 'arrow' | 'comma' | 'colon' | 'pipe' | 'description' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  position: number;
}

/** Lazy lexer, so the error reported is always the leftmost one. */
class Scanner {
  private index = 0;
  private lookahead: Token | null = null;

  constructor(private readonly src: string) {}

  peek(): Token {
    this.lookahead ??= this.lex();
    return this.lookahead;
  }

  next(): Token {
    const token = this.peek();
    this.lookahead = null;
    return token;
  }

  private lex(): Token {
    const src = this.src;
    while (this.index < src.length && /\s/.test(src[this.index] ?? '')) this.index++;
    const start = this.index;
    const ch = src[start];
    if (ch === undefined) return { kind: 'end', text: '', position: start };
    if (src.startsWith('->', start)) return this.token('arrow', start, 2);
    if (ch === ',') return this.token('comma', start, 1);
    if (ch === ':') return this.token('colon', start, 1);
    if (ch === '|') return this.token('pipe', start, 1);
    if (ch === '"') return this.description(start);
    let end = start;
    // A word may contain "-" (enum labels such as "very-positive") but never swallow an arrow.
    while (end < src.length && /[A-Za-z0-9_-]/.test(src[end] ?? '') && !src.startsWith('->', end)) end++;
    if (end === start) throw new SignatureError(start, `unexpected character ${JSON.stringify(ch)}`);
    return this.token('word', start, end - start);
  }

  private token(kind: TokenKind, start: number, length: number): Token {
    this.index = start + length;
    return { kind, text: this.src.slice(start, start + length), position: start };
  }

  private description(start: number): Token {
    let text = '';
    for (let i = start + 1; i < this.src.length; i++) {
      const ch = this.src[i];
      if (ch === '\\' && i + 1 < this.src.length) {
        text += this.src[++i];
      } else if (ch === '"') {
        this.index = i + 1;
        return { kind: 'description', text, position: start };
      } else {
        text += ch;
      }
    }
    throw new SignatureError(start, 'unterminated description (missing closing ")');
  }
}

function describeToken(token: Token): string {
  if (token.kind === 'end') return 'end of signature';
  if (token.kind === 'description') return 'a description';
  return JSON.stringify(token.text);
}

class Parser {
  private readonly scanner: Scanner;
  private readonly seen = new Set<string>();

  constructor(private readonly src: string) {
    this.scanner = new Scanner(src);
  }

  parse(): Signature {
    const inputs = this.fieldList();
    this.expect('arrow', '"," or "->"');
    const outputs = this.fieldList();
    this.expect('end', '"," or end of signature');
    return { source: this.src, inputs, outputs };
  }

  private expect(kind: TokenKind, expected: string): void {
    const token = this.scanner.next();
    if (token.kind !== kind) throw new SignatureError(token.position, `expected ${expected}, found ${describeToken(token)}`);
  }

  private fieldList(): FieldSpec[] {
    const fields = [this.field()];
    while (this.scanner.peek().kind === 'comma') {
      this.scanner.next();
      fields.push(this.field());
    }
    return fields;
  }

  private field(): FieldSpec {
    const token = this.scanner.next();
    if (token.kind !== 'word' || !IDENTIFIER.test(token.text)) {
      throw new SignatureError(token.position, `expected a field name, found ${describeToken(token)}`);
    }
    if (this.seen.has(token.text)) throw new SignatureError(token.position, `duplicate field name "${token.text}"`);
    this.seen.add(token.text);
    let spec: FieldSpec = { name: token.text, type: 'string' };
    if (this.scanner.peek().kind === 'colon') {
      this.scanner.next();
      spec = { ...spec, ...this.type() };
    }
    if (this.scanner.peek().kind === 'description') {
      const description = this.scanner.next().text.trim();
      if (description) spec.description = description;
    }
    return spec;
  }

  private type(): Pick<FieldSpec, 'type' | 'choices'> {
    const first = this.scanner.next();
    if (first.kind !== 'word') throw new SignatureError(first.position, `expected a type after ":", found ${describeToken(first)}`);
    const labels = [first.text];
    while (this.scanner.peek().kind === 'pipe') {
      this.scanner.next();
      const label = this.scanner.next();
      if (label.kind !== 'word') throw new SignatureError(label.position, `expected an enum label after "|", found ${describeToken(label)}`);
      if (labels.includes(label.text)) throw new SignatureError(label.position, `duplicate enum label "${label.text}"`);
      labels.push(label.text);
    }
    if (labels.length > 1) return { type: 'enum', choices: labels };
    const type = TYPE_NAMES[first.text.toLowerCase()];
    if (!type) {
      throw new SignatureError(first.position, `unknown type "${first.text}" (expected string, number, boolean or enum labels like a|b|c)`);
    }
    return { type };
  }
}

/**
 * Parsed signatures and their schemas, kept because every prediction needs them and building them
 * (zod compiles each object schema) costs more than the rest of a prediction's own work. A program
 * has one signature, so few are ever live; the bound only guards against a caller making endless ones.
 */
const parsed = new Map<string, Signature>();
const PARSED_KEPT = 1_000;
const inputSchemas = new WeakMap<Signature, z.ZodObject>();
const outputSchemas = new WeakMap<Signature, z.ZodObject>();

function memo(cache: WeakMap<Signature, z.ZodObject>, signature: Signature, build: () => z.ZodObject): z.ZodObject {
  let schema = cache.get(signature);
  if (!schema) {
    schema = build();
    cache.set(signature, schema);
  }
  return schema;
}

/** Parses a signature string; throws SignatureError with the position of the first problem. The result is shared: do not change it. */
export function parseSignature(src: string): Signature {
  let signature = parsed.get(src);
  if (!signature) {
    signature = new Parser(src).parse();
    if (parsed.size >= PARSED_KEPT) parsed.clear();
    parsed.set(src, signature);
  }
  return signature;
}

/** Strict schema for a call's inputs: exact types, every field required, no unknown fields. */
export function inputSchema(signature: Signature): z.ZodObject {
  return memo(inputSchemas, signature, () => z.strictObject(Object.fromEntries(signature.inputs.map((f) => [f.name, describe(f, inputField(f))]))));
}

/**
 * Strict schema for parsed outputs, lenient about what LMs write: numbers and booleans from their text
 * forms, enum labels case-insensitively and without surrounding quotes or punctuation.
 */
export function outputSchema(signature: Signature): z.ZodObject {
  return memo(outputSchemas, signature, () => z.strictObject(Object.fromEntries(signature.outputs.map((f) => [f.name, describe(f, outputField(f))]))));
}

/** Checks and converts an adapter's raw outputs; a failure names the field. */
export function coerceOutputs(
  signature: Signature,
  raw: Record<string, unknown>,
): { ok: true; outputs: Fields } | { ok: false; message: string } {
  const result = outputSchema(signature).safeParse(raw);
  if (result.success) return { ok: true, outputs: result.data as Fields };
  return { ok: false, message: describeZodError(result.error, raw, 'outputs').message };
}

function describe(field: FieldSpec, schema: z.ZodType): z.ZodType {
  return field.description ? schema.describe(field.description) : schema;
}

function enumSchema(choices: readonly string[]): z.ZodType {
  return z.enum(choices as [string, ...string[]], {
    error: (issue) => `expected one of ${choices.join('|')}, got ${preview(issue.input)}`,
  });
}

function inputField(field: FieldSpec): z.ZodType {
  switch (field.type) {
    case 'string':
      return z.string();
    case 'number':
      return z.number();
    case 'boolean':
      return z.boolean();
    case 'enum':
      return enumSchema(field.choices ?? []);
  }
}

const NUMERIC = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;
const BOOLEAN_WORDS: Record<string, boolean> = { true: true, yes: true, false: false, no: false };

function outputField(field: FieldSpec): z.ZodType {
  switch (field.type) {
    case 'string':
      return z.preprocess((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v), z.string());
    case 'number':
      return z.preprocess((v) => (typeof v === 'string' && NUMERIC.test(v.trim()) ? Number(v.trim()) : v), z.number());
    case 'boolean':
      return z.preprocess((v) => (typeof v === 'string' ? (BOOLEAN_WORDS[stripDecoration(v).toLowerCase()] ?? v) : v), z.boolean());
    case 'enum': {
      const choices = field.choices ?? [];
      return z.preprocess((v) => (typeof v === 'string' ? matchLabel(v, choices) ?? v : v), enumSchema(choices));
    }
  }
}

/** `"Positive."` → `positive`: LMs decorate labels with quotes, markdown and punctuation. */
function matchLabel(text: string, choices: readonly string[]): string | undefined {
  const bare = stripDecoration(text).toLowerCase();
  return choices.find((c) => c.toLowerCase() === bare);
}

function stripDecoration(text: string): string {
  return text.trim().replace(/^[\s"'`*_.,:;!?()[\]]+|[\s"'`*_.,:;!?()[\]]+$/g, '');
}

/** The labels an LM may answer with when the only output is an enum (lets providers constrain decoding). */
export function soleEnumChoices(signature: Signature): string[] | undefined {
  const [only, ...rest] = signature.outputs;
  return only && rest.length === 0 && only.type === 'enum' ? only.choices : undefined;
}
