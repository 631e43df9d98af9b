/**
 * Benchmarks the embedded models on Amazon review sentiment (npm `sentiment@5.0.2` fixtures) through
 * Kkachi's own path: completion adapter → `predict` → local LM with the enum constrained.
 * Compares models, 0/4/8 demos, chat vs plain rendering, grammar vs label scoring, 1 vs 2 sequences.
 * Run: see docs/BENCHMARKS.md. `--only <substring>` runs a subset; `--n <count>` sets the test size.
 */
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { createLocalLM, type LocalLMConfig } from '../src/core/lm/local';
import { disposeLocalRuntimes, llamaThreads } from '../src/core/lm/local-runtime';
import { modelsDir } from '../src/models/location';
import { createProgram, predict } from '../src/core/program';
import { createRng } from '../src/core/random';
import type { Demo } from '../src/core/types';

interface Row {
  text: string;
  label: 'positive' | 'negative';
}

interface Run {
  name: string;
  lm: LocalLMConfig;
  shots: number;
  /** Requests in flight at once (only useful with `sequences` > 1). */
  concurrency?: number;
}

const SEED = 42;
const SIGNATURE = 'text -> sentiment: positive|negative';

function loadAmazon(): Row[] {
  const raw = JSON.parse(readFileSync(require.resolve('sentiment/test/fixtures/amazon.json'), 'utf8')) as Array<{ text: string; class: number | null }>;
  return raw
    .filter((r) => r.text.trim() !== '' && (r.class === 0 || r.class === 1))
    .map((r) => ({ text: r.text.trim(), label: r.class === 1 ? 'positive' : 'negative' }));
}

/** Test rows and a disjoint demo pool from one seeded shuffle. */
function split(rows: Row[], n: number): { test: Row[]; pool: Row[] } {
  const shuffled = createRng(SEED).shuffle(rows);
  return { test: shuffled.slice(0, n), pool: shuffled.slice(n, n + 100) };
}

/** k balanced demos (half per label), in a seeded order. */
function demos(pool: Row[], k: number): Demo[] {
  const rng = createRng(SEED + k);
  const pick = (label: Row['label']) => rng.sample(pool.filter((r) => r.label === label), k / 2);
  return rng.shuffle([...pick('positive'), ...pick('negative')]).map((r) => ({ inputs: { text: r.text }, outputs: { sentiment: r.label } }));
}

async function measure(run: Run, test: Row[], pool: Row[]) {
  const lm = await createLocalLM({ ...run.lm, modelsDir: modelsDir() });
  const program = createProgram(SIGNATURE, '', { adapter: 'completion', demos: demos(pool, run.shots) });
  // Warm-up: model load and the first prompt evaluation are not per-example costs.
  await predict(program, { text: pool[0]?.text ?? '' }, lm);
  const latencies: number[] = [];
  let correct = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < test.length) {
      const row = test[next++] as Row;
      const prediction = await predict(program, { text: row.text }, lm);
      latencies.push(prediction.latencyMs);
      if (prediction.ok && prediction.outputs.sentiment === row.label) correct++;
    }
  };
  await Promise.all(Array.from({ length: run.concurrency ?? 1 }, worker));
  const wallMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    run: run.name,
    shots: run.shots,
    accuracy: correct / test.length,
    msPerExample: wallMs / test.length,
    p50Ms: latencies[Math.floor(latencies.length / 2)] ?? 0,
  };
}

function runs(): Run[] {
  const list: Run[] = [];
  for (const shots of [0, 4, 8]) {
    list.push({ name: 'smollm2 plain', lm: { model: 'smollm2-135m', render: 'plain' }, shots });
    list.push({ name: 'smollm2 chat', lm: { model: 'smollm2-135m', render: 'chat' }, shots });
    list.push({ name: 'gemma plain', lm: { model: 'gemma3-270m', render: 'plain' }, shots });
  }
  list.push({ name: 'smollm2 chat, label scoring', lm: { model: 'smollm2-135m', render: 'chat', choiceMethod: 'score' }, shots: 8 });
  for (const model of ['smollm2-135m', 'gemma3-270m']) {
    const short = model.split('-')[0];
    list.push({ name: `${short} plain, label scoring`, lm: { model, render: 'plain', choiceMethod: 'score' }, shots: 8 });
    list.push({ name: `${short} plain, 2 sequences`, lm: { model, render: 'plain', sequences: 2 }, shots: 8, concurrency: 2 });
  }
  return list;
}

async function main() {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : args[i + 1];
  };
  const n = Number(flag('--n') ?? 200);
  const only = flag('--only');
  const { test, pool } = split(loadAmazon(), n);
  console.log(`# ${new Date().toISOString()} · ${os.availableParallelism()} cores · ${llamaThreads()} llama.cpp thread(s) · ${os.cpus()[0]?.model ?? 'cpu'} · n=${test.length}`);
  console.log('| run | shots | accuracy | ms/example | p50 ms |\n|---|---|---|---|---|');
  for (const run of runs().filter((r) => !only || `${r.name} ${r.shots}`.includes(only))) {
    const r = await measure(run, test, pool);
    console.log(`| ${r.run} | ${r.shots} | ${(100 * r.accuracy).toFixed(1)}% | ${r.msPerExample.toFixed(0)} | ${r.p50Ms.toFixed(0)} |`);
  }
  await disposeLocalRuntimes();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
