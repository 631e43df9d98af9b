/**
 * Runs a peer (DSPy in Python, Ax in its own npm package) as a child process on one task: the task
 * goes in as JSON (`TaskInput`), the peer writes its phases back as JSON. The child talks to the
 * proxy, which runs in this process, so the child must be awaited asynchronously.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PeerTask } from './tasks';
import type { CompilePhase, SystemRun, TaskInput, TestPhase } from './systems';

/** What a peer script writes to `--out`. */
interface PeerOutput {
  version: string;
  how: string;
  zeroShot: TestPhase;
  compile: CompilePhase;
  optimized: TestPhase;
}

export interface PeerCommand {
  /** `DSPy`, `Ax` */
  system: string;
  /** Meter key, e.g. `dspy`. */
  key: string;
  expectedVersion: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export function taskInput(task: PeerTask, settings: Omit<TaskInput, 'task' | 'inputs' | 'output' | 'labels' | 'train' | 'test'>): TaskInput {
  const rows = (set: PeerTask['train']) =>
    set.map((e) => ({
      inputs: Object.fromEntries(task.inputs.map((name) => [name, String(e.inputs[name])])),
      output: String(e.outputs[task.output]),
      answers: e.alternatives?.[task.output] ?? [String(e.outputs[task.output])],
    }));
  return { task: task.name, inputs: task.inputs, output: task.output, labels: task.labels ?? null, train: rows(task.train), test: rows(task.test), ...settings };
}

export const peerMeters = (task: string, key: string) => ({
  zeroShot: `${task}.${key}.zero-shot`,
  compile: `${task}.${key}.compile`,
  optimized: `${task}.${key}.optimized`,
});

export async function runPeer(peer: PeerCommand, input: TaskInput): Promise<SystemRun & { processSeconds: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `kkachi-peer-${peer.key}-`));
  try {
    const inFile = path.join(dir, 'task.json');
    const outFile = path.join(dir, 'result.json');
    writeFileSync(inFile, JSON.stringify(input));
    const started = performance.now();
    const { code, log } = await new Promise<{ code: number | null; log: string }>((resolve, reject) => {
      const child = spawn(peer.command, [...peer.args, '--task', inFile, '--out', outFile], { env: { ...process.env, ...peer.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-20_000));
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.on('error', reject);
      child.on('close', (exit) => resolve({ code: exit, log }));
    });
    const processSeconds = (performance.now() - started) / 1000;
    let output: PeerOutput;
    try {
      output = JSON.parse(readFileSync(outFile, 'utf8')) as PeerOutput;
    } catch {
      throw new Error(`${peer.system} on ${input.task} failed (exit ${code}):\n${log.slice(-4000)}`);
    }
    if (output.version !== peer.expectedVersion) throw new Error(`expected ${peer.system} ${peer.expectedVersion}, the script ran ${output.version}`);
    for (const phase of [output.zeroShot, output.optimized]) {
      if (phase.predictions.length !== input.test.length) throw new Error(`${peer.system} returned ${phase.predictions.length} predictions for ${input.test.length} test rows`);
    }
    return {
      system: `${peer.system} ${output.version}`,
      optimizer: 'BootstrapFewShot',
      how: output.how,
      meters: peerMeters(input.task, peer.key),
      zeroShot: output.zeroShot,
      compile: output.compile,
      optimized: output.optimized,
      processSeconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
