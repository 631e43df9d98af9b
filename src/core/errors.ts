/** Errors for bad input that a caller must fix; each one names the offending field. */
import type { z } from 'zod';

export class ValidationError extends Error {
  /** Dotted path of the offending field, e.g. `inputs.text` or `program.lm.temperature`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.name = 'ValidationError';
    this.field = field;
  }
}

/** Characters of a caller's value an error message may quote: enough to recognise it, never a payload. */
export const PREVIEW_CHARS = 40;
/** Longest error message built from a caller's input (a message travels in failures, logs and payloads). */
export const MAX_MESSAGE_CHARS = 300;

/** A value as a short JSON quote: `"abc…" (1048576 chars)` when longer than PREVIEW_CHARS. */
export function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= PREVIEW_CHARS ? text : `${text.slice(0, PREVIEW_CHARS)}… (${text.length} chars)`;
}

/** Cuts a message to MAX_MESSAGE_CHARS so no input can make an error large. */
export function boundedMessage(message: string): string {
  return message.length <= MAX_MESSAGE_CHARS ? message : `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}

/** The first problem of a zod error as a field path and a message that starts with that path. */
export function describeZodError(error: z.ZodError, input: unknown, prefix = ''): { field: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: prefix, message: `${prefix || 'value'}: invalid` };
  const segments = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  const field = boundedMessage([prefix, ...segments.map(String)].filter((s) => s !== '').join('.') || 'value');
  return { field, message: boundedMessage(`${field}: ${issueText(issue, valueAt(input, issue.path))}`) };
}

/** `schema.parse` that throws a ValidationError naming the field instead of a ZodError. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const { field, message } = describeZodError(result.error, input, prefix);
  throw new ValidationError(field, message);
}

function issueText(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'unrecognized_keys') return 'unknown field';
  if (issue.code === 'invalid_type' && value === undefined) return 'required field is missing';
  return issue.message;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
