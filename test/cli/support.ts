/** Runs the CLI in-process (fast) or as the real `bin/kkachi.js` child process (after building dist/). */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'kkachi.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = ROOT): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env,
    cwd,
  });
  return { code, stdout, stderr };
}

function newestMtime(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs;
    }),
  );
}

/** `npm run build` when dist/ is missing or older than src/, so the child-process tests run current code. */
export function ensureBuilt(): void {
  const entry = path.join(ROOT, 'dist', 'cli', 'main.js');
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestMtime(path.join(ROOT, 'src'))) return;
  try {
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  } catch (err) {
    // tsc still emits on type errors elsewhere in the tree; only a missing CLI build is fatal here.
    if (!existsSync(entry)) throw err;
  }
}

/** Spawns `node bin/kkachi.js …` and collects its output. */
export function spawnCli(argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** No stack trace: no "    at fn (file:line)" frames. */
export const hasStackTrace = (text: string): boolean => /\n\s+at .+\(.+:\d+:\d+\)/.test(text) || /\n\s+at .+:\d+:\d+/.test(text);
