/**
 * One `kkachi demo … --json` run as a child process, against a Temporal dev server the demo starts
 * itself on free loopback ports, with the model installed under the project's .kkachi/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../support/temporal';
import { ensureBuilt, ROOT, spawnCli, type CliRun } from './support';

export interface DemoRun<T> {
  run: CliRun;
  /** Parsed stdout when the demo exited 0. */
  outcome: T | undefined;
  /** The dev server's frontend port (it must be closed afterwards). */
  port: number;
  cleanUp(): void;
}

export async function runDemoJson<T>(args: string[], timeoutMs: number): Promise<DemoRun<T>> {
  ensureBuilt();
  const home = mkdtempSync(path.join(os.tmpdir(), 'kkachi-demo-'));
  const port = await freePort();
  const env = {
    ...process.env,
    KKACHI_HOME: home,
    // The model installed by `.ci/run` (or a first demo) lives under the project's .kkachi/.
    KKACHI_MODELS_DIR: path.join(ROOT, '.kkachi', 'models'),
    KKACHI_MODEL: '',
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    KKACHI_TEMPORAL_UI_PORT: String(await freePort()),
  };
  const run = await spawnCli(['demo', ...args, '--json'], env, timeoutMs);
  return { run, outcome: run.code === 0 ? (JSON.parse(run.stdout) as T) : undefined, port, cleanUp: () => rmSync(home, { recursive: true, force: true }) };
}

/** The outcome, or a failure that shows the end of the demo's story. */
export function outcomeOf<T>(demo: DemoRun<T>): T {
  if (demo.outcome === undefined) throw new Error(`demo exited ${demo.run.code}:\n${demo.run.stderr.slice(-3000)}`);
  return demo.outcome;
}
