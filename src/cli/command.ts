/**
 * What a CLI command is, how its flags are parsed (node:util parseArgs, strict) and how its help is
 * rendered. Commands are plain objects so `main.ts` can list, dispatch and document them uniformly.
 */
import { parseArgs } from 'node:util';
import type { ProgressStream } from '../ui/progress';

export interface CliIO {
  stdout: ProgressStream;
  stderr: ProgressStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * Resolves with the signal name when the user interrupts (SIGINT/SIGTERM). Only commands that call
   * it catch the signals (to clean up); for the others Ctrl-C keeps its default meaning.
   */
  interrupted?: () => Promise<string>;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
  /** Placeholder shown in help, e.g. FILE. */
  value?: string;
  required?: boolean;
}

export interface PositionalSpec {
  name: string;
  description: string;
}

export type Values = Record<string, string | boolean | undefined>;

export interface ParsedArgs {
  values: Values;
  positionals: string[];
}

export interface Command {
  /** Words after `kkachi`, e.g. ['task', 'start']. */
  path: readonly string[];
  summary: string;
  options: Record<string, OptionSpec>;
  positionals?: readonly PositionalSpec[];
  /** Extra help text after the options (examples, environment). */
  details?: string;
  /** Returns the exit code (0 when omitted). */
  run(args: ParsedArgs, io: CliIO): Promise<number | void>;
}

/** A mistake in how the command was called: exit code 2 and a one-line message. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const HELP: OptionSpec = { type: 'boolean', description: 'show this help' };

export function usageLine(cmd: Command): string {
  const flags = Object.entries(cmd.options).map(([name, o]) => {
    const flag = o.type === 'string' ? `--${name} ${o.value ?? 'VALUE'}` : `--${name}`;
    return o.required ? flag : `[${flag}]`;
  });
  const positionals = (cmd.positionals ?? []).map((p) => p.name);
  return ['kkachi', ...cmd.path, ...positionals, ...flags].join(' ');
}

export function renderHelp(cmd: Command): string {
  const rows: [string, string][] = [
    ...(cmd.positionals ?? []).map((p): [string, string] => [p.name, p.description]),
    ...Object.entries({ ...cmd.options, help: HELP }).map(([name, o]): [string, string] => [
      o.type === 'string' ? `--${name} ${o.value ?? 'VALUE'}` : `--${name}`,
      o.description + (o.required ? ' (required)' : ''),
    ]),
  ];
  const width = Math.max(...rows.map(([left]) => left.length));
  const lines = [`Usage: ${usageLine(cmd)}`, '', cmd.summary, '', 'Options:', ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)];
  if (cmd.details) lines.push('', cmd.details.trimEnd());
  return `${lines.join('\n')}\n`;
}

/** Parses argv for one command; unknown flags, missing values and missing required flags are UsageErrors. */
export function parseCommandArgs(cmd: Command, argv: string[]): ParsedArgs & { help: boolean } {
  const options = Object.fromEntries(Object.entries({ ...cmd.options, help: HELP }).map(([name, o]) => [name, { type: o.type }]));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    // parseArgs' messages are one line and name the flag; add which command was being parsed.
    throw new UsageError(`${cmd.path.join(' ')}: ${(err as Error).message.split('\n')[0]}`);
  }
  const values = parsed.values as Values;
  if (values.help) return { values, positionals: parsed.positionals, help: true };
  const expected = cmd.positionals ?? [];
  if (parsed.positionals.length > expected.length) {
    throw new UsageError(`${cmd.path.join(' ')}: unexpected argument "${parsed.positionals[expected.length]}" (see kkachi ${cmd.path.join(' ')} --help)`);
  }
  const missingPositional = expected[parsed.positionals.length];
  if (missingPositional) throw new UsageError(`${cmd.path.join(' ')}: missing ${missingPositional.name} (see kkachi ${cmd.path.join(' ')} --help)`);
  for (const [name, o] of Object.entries(cmd.options)) {
    if (o.required && values[name] === undefined) throw new UsageError(`${cmd.path.join(' ')}: --${name} is required (see kkachi ${cmd.path.join(' ')} --help)`);
  }
  return { values, positionals: parsed.positionals, help: false };
}

/** A string flag's value (after parseCommandArgs checked `required`). */
export function stringFlag(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A flag holding JSON; a syntax error names the flag. */
export function jsonFlag(values: Values, name: string): unknown {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--${name} is not valid JSON: ${(err as Error).message}`);
  }
}

/** A flag holding a positive integer, e.g. a port. */
export function integerFlag(values: Values, name: string, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`--${name} must be an integer between ${min} and ${max}, got "${text}"`);
  return n;
}

export function writeJson(io: CliIO, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
