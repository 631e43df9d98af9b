/**
 * `kkachi`: the command line. Dispatches `kkachi <command> [<subcommand>] [flags]` to one Command
 * per file; every failure ends as one line on stderr and a non-zero exit code, never a stack trace.
 */
import { parseCommandArgs, renderHelp, UsageError, type CliIO, type Command } from './command';
import { codecServerCommand } from './commands/codec-server';
import { demoCommand } from './commands/demo';
import { evalCommand } from './commands/eval';
import { modelFetchCommand } from './commands/model-fetch';
import { modelServeCommand } from './commands/model-serve';
import { serveCommand } from './commands/serve';
import { taskFeedbackCommand } from './commands/task-feedback';
import { taskRollbackCommand } from './commands/task-rollback';
import { taskStartCommand } from './commands/task-start';
import { taskStatusCommand } from './commands/task-status';

export const COMMANDS: readonly Command[] = [
  demoCommand,
  modelFetchCommand,
  modelServeCommand,
  serveCommand,
  taskStartCommand,
  taskFeedbackCommand,
  taskStatusCommand,
  taskRollbackCommand,
  evalCommand,
  codecServerCommand,
];

const GROUPS: Record<string, string> = {
  model: 'Install and serve the embedded GGUF models.',
  task: "Drive a task's learner workflow on Temporal (start, feedback, status, rollback).",
};

function listing(commands: readonly Command[]): string {
  const names = commands.map((c) => c.path.join(' '));
  const width = Math.max(...names.map((n) => n.length));
  return commands.map((c, i) => `  ${(names[i] as string).padEnd(width)}  ${c.summary.split('\n')[0]}`).join('\n');
}

function topHelp(): string {
  return [
    'Usage: kkachi <command> [flags]',
    '',
    'Kkachi keeps an LM feature improving in production: corrections become training data, optimizers',
    'build a better prompt program, an A/B gate decides, Temporal workflows run every stage.',
    '',
    'Commands:',
    listing(COMMANDS),
    '',
    'Run `kkachi <command> --help` for its flags. Environment: KKACHI_HOME (default .kkachi), TEMPORAL_ADDRESS',
    '(default 127.0.0.1:7233), TEMPORAL_NAMESPACE, TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE / TEMPORAL_API_KEY / TEMPORAL_TLS_*',
    '(@temporalio/envconfig), KKACHI_TASK_QUEUE, KKACHI_STORE_URL, KKACHI_ENCRYPTION_KEY, KKACHI_LM, KKACHI_MODEL, OPENAI_BASE_URL, OPENAI_API_KEY.',
    '',
  ].join('\n');
}

function groupHelp(group: string): string {
  const members = COMMANDS.filter((c) => c.path[0] === group);
  return [`Usage: kkachi ${group} <subcommand> [flags]`, '', GROUPS[group], '', 'Subcommands:', listing(members), '', `Run \`kkachi ${group} <subcommand> --help\` for its flags.`, ''].join('\n');
}

const isHelp = (arg: string | undefined): boolean => arg === '--help' || arg === '-h' || arg === 'help';

/** Finds the command named by the leading words of argv; returns it with the remaining arguments. */
function resolve(argv: string[]): { command: Command; rest: string[] } | { help: string } {
  const [first, second] = argv;
  if (first === undefined || isHelp(first)) return { help: topHelp() };
  if (first in GROUPS) {
    if (second === undefined) throw new UsageError(`${first}: missing subcommand (${COMMANDS.filter((c) => c.path[0] === first).map((c) => c.path[1]).join(', ')}); see kkachi ${first} --help`);
    if (isHelp(second)) return { help: groupHelp(first) };
    const command = COMMANDS.find((c) => c.path[0] === first && c.path[1] === second);
    if (!command) throw new UsageError(`${first}: unknown subcommand "${second}"; see kkachi ${first} --help`);
    return { command, rest: argv.slice(2) };
  }
  const command = COMMANDS.find((c) => c.path.length === 1 && c.path[0] === first);
  if (!command) throw new UsageError(`unknown command "${first}"; see kkachi --help`);
  return { command, rest: argv.slice(1) };
}

/** An error as one line: the message only (multi-line tool output folded), never a stack. */
export function errorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' | ');
}

/** Runs one invocation; returns the exit code (0 ok, 1 failure, 2 usage error, 130 interrupted). */
export async function main(argv: string[], io: CliIO): Promise<number> {
  try {
    const resolved = resolve(argv);
    if ('help' in resolved) {
      io.stdout.write(resolved.help);
      return 0;
    }
    const { command, rest } = resolved;
    const args = parseCommandArgs(command, rest);
    if (args.help) {
      io.stdout.write(renderHelp(command));
      return 0;
    }
    return (await command.run(args, io)) ?? 0;
  } catch (err) {
    io.stderr.write(`kkachi: ${errorLine(err)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

/** The process entry point used by bin/kkachi.js. */
export function run(): void {
  let interruption: Promise<string> | undefined;
  const interrupted = (): Promise<string> =>
    (interruption ??= new Promise<string>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.on(signal, () => {
          // A second signal while cleaning up means "now".
          if (signalled) process.exit(130);
          signalled = true;
          resolve(signal);
        });
      }
    }));
  let signalled = false;
  const io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), interrupted };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
      // Long-lived handles (gRPC channels, signal listeners) must not keep a finished command alive.
      setImmediate(() => process.exit(code));
    },
    (err: unknown) => {
      process.stderr.write(`kkachi: ${errorLine(err)}\n`);
      process.exit(1);
    },
  );
}
