/**
 * Peers side by side: Kkachi, DSPy 3.4.1 and Ax 24.0.21 on the same endpoint (`kkachi model serve`,
 * one embedded model), the same tasks, splits and seeds, one run each, one request at a time.
 * Every call goes through a metering proxy (bench/peers/proxy.ts), and every system's test answers
 * are scored by the same code (bench/peers/score.ts). Results are saved as JSON after each task, so
 * `--report-only` can rebuild the tables and the chart from a run that was cut short.
 * Run from the project root: `npm run bench:peers -- --write-docs` (see docs/BENCHMARKS.md, "Peers: DSPy and Ax").
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { isModelName } from '../src/core/lm/catalogue';
import { runKkachi } from './peers/kkachi';
import { peerMeters, runPeer, taskInput, type PeerCommand } from './peers/peer-process';
import { startMeteringProxy, type MeteringProxy } from './peers/proxy';
import { writeReport, type RunRecord, type TaskRecord } from './peers/report';
import { loadTask, TASK_NAMES, type SplitSizes, type TaskName } from './peers/tasks';

const DSPY_VERSION = '3.4.1';
const AX_VERSION = '24.0.21';
/** Under `.kkachi/`, which git and eslint ignore (a venv holds vendored .js files). */
const VENV = '.kkachi/venv-dspy';
const AX_DIR = 'bench/ax';
const RESULTS = '.kkachi/peers/results.json';

interface Options {
  model: string;
  tasks: TaskName[];
  sizes: SplitSizes;
  maxTokens: number;
  maxDemos: number;
  dspyAdapter: string;
  writeDocs: boolean;
  reportOnly: boolean;
  systems: string[];
  /** Where the run is saved; with --report-only, a comma-separated list of runs to merge (one per task). */
  results: string[];
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: 'gemma3-270m' },
      tasks: { type: 'string', default: TASK_NAMES.join(',') },
      systems: { type: 'string', default: 'kkachi,dspy,ax' },
      train: { type: 'string', default: '40' },
      test: { type: 'string', default: '100' },
      seed: { type: 'string', default: '7' },
      data: { type: 'string', default: '../shared/data' },
      'context-chars': { type: 'string', default: '400' },
      'email-chars': { type: 'string', default: '400' },
      'max-tokens': { type: 'string', default: '48' },
      'max-demos': { type: 'string', default: '4' },
      // JSONAdapter: measured against ChatAdapter on the default model (docs/BENCHMARKS.md, "Peers").
      'dspy-adapter': { type: 'string', default: 'json' },
      'write-docs': { type: 'boolean', default: false },
      'report-only': { type: 'boolean', default: false },
      results: { type: 'string', default: RESULTS },
    },
  });
  const int = (name: keyof typeof values, min = 1): number => {
    const raw = values[name] as string;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
    return n;
  };
  const model = values.model as string;
  if (!isModelName(model)) throw new Error(`--model must be a catalogue model (smollm2-135m, gemma3-270m), got "${model}"`);
  const tasks = (values.tasks as string).split(',').map((t) => t.trim());
  const unknown = tasks.filter((t) => !(TASK_NAMES as readonly string[]).includes(t));
  if (unknown.length > 0) throw new Error(`--tasks: unknown task ${unknown.join(', ')} (known: ${TASK_NAMES.join(', ')})`);
  const systems = (values.systems as string).split(',').map((s) => s.trim());
  const badSystem = systems.find((s) => !['kkachi', 'dspy', 'ax'].includes(s));
  if (badSystem) throw new Error(`--systems: unknown system ${badSystem} (known: kkachi, dspy, ax)`);
  const dspyAdapter = values['dspy-adapter'] as string;
  if (!['chat', 'json', 'xml'].includes(dspyAdapter)) throw new Error(`--dspy-adapter must be chat, json or xml, got "${dspyAdapter}"`);
  return {
    model,
    tasks: tasks as TaskName[],
    systems,
    sizes: { train: int('train'), test: int('test'), seed: int('seed', 0), contextChars: int('context-chars'), emailChars: int('email-chars'), dataDir: values.data as string },
    maxTokens: int('max-tokens'),
    maxDemos: int('max-demos'),
    dspyAdapter,
    writeDocs: values['write-docs'] === true,
    reportOnly: values['report-only'] === true,
    results: (values.results as string).split(','),
  };
}

function run(cmd: string, args: string[], cwd?: string): void {
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${result.status})`);
}

/** The DSPy venv, created with the pinned version on first use. */
function ensureDspy(): string {
  const python = path.resolve(VENV, 'bin', 'python');
  const version = () => spawnSync(python, ['-c', 'import dspy; print(dspy.__version__)'], { encoding: 'utf8' }).stdout?.trim();
  if (existsSync(python) && version() === DSPY_VERSION) return python;
  console.error(`# installing dspy==${DSPY_VERSION} into ${VENV} (~20 s)`);
  run('python3', ['-m', 'venv', VENV]);
  run(python, ['-m', 'pip', 'install', '-q', `dspy==${DSPY_VERSION}`]);
  if (version() !== DSPY_VERSION) throw new Error(`${VENV} does not import dspy ${DSPY_VERSION}`);
  return python;
}

/** Ax from bench/ax's own lockfile (not a product dependency). */
function ensureAx(): void {
  const installed = path.join(AX_DIR, 'node_modules', '@ax-llm', 'ax', 'package.json');
  if (existsSync(installed) && (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version === AX_VERSION) return;
  console.error(`# installing @ax-llm/ax@${AX_VERSION} into ${AX_DIR} (npm ci; its postinstall, which writes editor skill files, is skipped)`);
  run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], AX_DIR);
}

/** `kkachi model serve` on a free loopback port, as a user would start it; resolves with its base URL. */
function startModelServer(model: string): Promise<{ baseURL: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['bin/kkachi.js', 'model', 'serve', '--model', model, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      try {
        resolve({ baseURL: (JSON.parse(out) as { baseURL: string }).baseURL, child });
      } catch {
        // the JSON is not complete yet
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`kkachi model serve exited (${code}) before listening`)));
  });
}

function peers(opts: Options, python: string): PeerCommand[] {
  const all: PeerCommand[] = [
    {
      system: 'DSPy',
      key: 'dspy',
      expectedVersion: DSPY_VERSION,
      command: python,
      args: ['bench/peer_dspy.py', '--adapter', opts.dspyAdapter],
      // Bundled model metadata (no internet) and a throwaway cache dir.
      env: { LITELLM_LOCAL_MODEL_COST_MAP: 'True', DSPY_CACHEDIR: path.join(os.tmpdir(), 'kkachi-peers-dspy-cache') },
    },
    { system: 'Ax', key: 'ax', expectedVersion: AX_VERSION, command: process.execPath, args: [path.join(AX_DIR, 'peer_ax.mjs')] },
  ];
  return all.filter((p) => opts.systems.includes(p.key));
}

function saveRecord(record: RunRecord, file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(record, null, 1));
}

/** Runs made in parallel, one task each (separate servers), reported as one: tasks in file order. */
function mergeRecords(files: string[]): RunRecord {
  // A task process that had not finished its first system yet has saved nothing: its task is left out.
  const saved = files.filter((file) => {
    if (!existsSync(file)) console.error(`# ${file}: no results yet, left out`);
    return existsSync(file);
  });
  const records = saved.map((file) => JSON.parse(readFileSync(file, 'utf8')) as RunRecord);
  const [first] = records;
  if (!first) throw new Error('--results names no file');
  return {
    ...first,
    command: records.map((r) => r.command).join(' & '),
    started: records.map((r) => r.started).sort()[0] as string,
    finished: records.map((r) => r.finished ?? r.started).sort().at(-1) as string,
    load: records.flatMap((r) => r.load),
    tasks: records.flatMap((r) => r.tasks),
  };
}

/** Runs every system on one task, saving the record after each so a cut-short run keeps what it did. */
async function runTask(name: TaskName, opts: Options, proxy: MeteringProxy, model: string, python: string, record: RunRecord): Promise<void> {
  const task = loadTask(name, opts.sizes);
  console.error(`# ${name}: ${task.train.length} train, ${task.test.length} test rows (of ${task.pool})`);
  const entry: TaskRecord = { task, runs: [], meters: {} };
  record.tasks.push(entry);
  const save = () => {
    entry.meters = Object.fromEntries([...proxy.meters].filter(([meter]) => meter.startsWith(`${name}.`)));
    record.finished = new Date().toISOString();
    saveRecord(record, opts.results[0] as string);
  };
  if (opts.systems.includes('kkachi')) {
    console.error(`# ${name}: Kkachi`);
    entry.runs.push(...(await runKkachi(task, { maxTokens: opts.maxTokens, maxDemos: opts.maxDemos, seed: opts.sizes.seed, baseURL: proxy.baseURL, model })));
    save();
  }
  for (const peer of peers(opts, python)) {
    console.error(`# ${name}: ${peer.system}`);
    const meters = peerMeters(name, peer.key);
    const urls = { zeroShot: proxy.baseURL(meters.zeroShot), compile: proxy.baseURL(meters.compile), optimized: proxy.baseURL(meters.optimized) };
    try {
      entry.runs.push(await runPeer(peer, taskInput(task, { maxTokens: opts.maxTokens, maxDemos: opts.maxDemos, urls, model, seed: opts.sizes.seed })));
    } catch (err) {
      // One peer's crash must not throw away the other systems' rows: the report lists it.
      const message = err instanceof Error ? err.message : String(err);
      console.error(`# ${name}: ${peer.system} failed: ${message}`);
      entry.failures = [...(entry.failures ?? []), `${peer.system}: ${message.split('\n').slice(0, 3).join(' ')}`];
    }
    save();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opts = parseOptions(argv);
  if (opts.reportOnly) {
    writeReport(mergeRecords(opts.results), opts.writeDocs);
    return;
  }
  if (!existsSync('bin/kkachi.js') || !existsSync('dist/cli/main.js')) throw new Error('Run from the project root after `npm run build`');
  process.env.OPENAI_API_KEY ||= 'unused'; // the endpoint has no authentication
  const python = opts.systems.includes('dspy') ? ensureDspy() : '';
  if (opts.systems.includes('ax')) ensureAx();
  const server = await startModelServer(opts.model);
  const proxy = await startMeteringProxy(server.baseURL);
  // A long run on a shared machine: say where it is once a minute.
  const progress = setInterval(() => {
    const last = [...proxy.meters].at(-1);
    if (last) console.error(`# ${new Date().toISOString().slice(11, 19)} ${last[0]}: ${last[1].calls} calls`);
  }, 60_000);
  const model = `local:${opts.model}`;
  const record: RunRecord = {
    started: new Date().toISOString(),
    command: `npm run bench:peers -- ${argv.join(' ')}`.trim(),
    machine: `${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'cpu'}), Node ${process.version}`,
    load: [os.loadavg()[0] as number],
    model: opts.model,
    sizes: opts.sizes,
    maxTokens: opts.maxTokens,
    maxDemos: opts.maxDemos,
    tasks: [],
  };
  try {
    for (const name of opts.tasks) {
      await runTask(name, opts, proxy, model, python, record);
      record.load.push(os.loadavg()[0] as number);
      saveRecord(record, opts.results[0] as string);
    }
  } finally {
    clearInterval(progress);
    await proxy.close();
    server.child.kill('SIGINT');
  }
  writeReport(record, opts.writeDocs);
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
