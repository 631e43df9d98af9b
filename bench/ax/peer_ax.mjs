// The Ax side of bench/peers.ts: zero-shot, AxBootstrapFewShot and optimized predictions on one task
// against an OpenAI-compatible endpoint (the proxy in front of `kkachi model serve`, one base URL per
// phase). The driver scores the predictions the same way for every system.
// By hand: node bench/ax/peer_ax.mjs --task FILE --out FILE
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { URL } from 'node:url';
import { parseArgs } from 'node:util';
import { ai, ax, AxBootstrapFewShot } from '@ax-llm/ax';

// The package's exports hide its package.json, so read the installed file itself.
const { version } = JSON.parse(readFileSync(new URL('./node_modules/@ax-llm/ax/package.json', import.meta.url), 'utf8'));
const { values } = parseArgs({ options: { task: { type: 'string' }, out: { type: 'string' } } });
const task = JSON.parse(readFileSync(values.task, 'utf8'));

// Ax's signature language: `tweet:string -> sentiment:class "negative, neutral, positive"`.
const output = task.labels ? `${task.output}:class "${task.labels.join(', ')}"` : `${task.output}:string`;
const signature = `${task.inputs.map((name) => `${name}:string`).join(', ')} -> ${output}`;

// The endpoint does not stream: Ax streams by default, so every call passes `stream: false`.
const llmFor = (url) => ai({ name: 'openai', apiKey: 'unused', apiURL: url, config: { model: task.model, maxTokens: task.maxTokens, temperature: 0, stream: false } });
const forwardOptions = { stream: false };

const normalize = (text) =>
  String(text)
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, '')
    .replace(/\b(a|an|the)\b/g, ' ')
    .split(/\s+/)
    .filter(Boolean);

function tokenF1(prediction, gold) {
  const pred = normalize(prediction);
  const ref = normalize(gold);
  if (pred.length === 0 || ref.length === 0) return pred.length === ref.length ? 1 : 0;
  const left = new Map();
  for (const t of ref) left.set(t, (left.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of pred) {
    if ((left.get(t) ?? 0) > 0) {
      common++;
      left.set(t, left.get(t) - 1);
    }
  }
  if (common === 0) return 0;
  const p = common / pred.length;
  const r = common / ref.length;
  return (2 * p * r) / (p + r);
}

// The same bootstrap criterion as the other systems: the exact label, or token F1 ≥ 0.5.
const metric = ({ prediction, example }) => {
  const answer = prediction?.[task.output];
  if (answer === undefined || answer === null) return 0;
  if (task.labels) return String(answer).trim().toLowerCase() === example[task.output] ? 1 : 0;
  return Math.max(...example.answers.map((a) => tokenF1(answer, a))) >= 0.5 ? 1 : 0;
};

const example = (row) => ({ ...row.inputs, [task.output]: row.output, answers: row.answers });

async function predictAll(program, url) {
  const llm = llmFor(url);
  const started = performance.now();
  const predictions = [];
  for (const row of task.test) {
    try {
      const out = await program.forward(llm, row.inputs, forwardOptions);
      const answer = out?.[task.output];
      predictions.push(answer === undefined || answer === null ? null : String(answer));
    } catch {
      predictions.push(null); // Ax gave up after its retries: no answer, scored as wrong
    }
  }
  return { seconds: (performance.now() - started) / 1000, predictions };
}

const program = ax(signature);
const zeroShot = await predictAll(program, task.urls.zeroShot);

const started = performance.now();
// One round and maxDemos like the other systems' BootstrapFewShot; Ax's other options at their defaults.
const optimizer = new AxBootstrapFewShot({ studentAI: llmFor(task.urls.compile), seed: task.seed, options: { maxDemos: task.maxDemos, maxRounds: 1, verboseMode: false } });
let note;
let demos = 0;
try {
  // The bootstrap examples carry `answers` for the metric; Ax keeps only signature fields in demos.
  const result = await optimizer.compile(program, task.train.map(example), metric);
  if (result.demos) {
    program.setDemos(result.demos);
    demos = result.demos.reduce((n, d) => n + (d.traces?.length ?? 0), 0);
  }
} catch (err) {
  // Ax throws when no trace passes the metric: the program stays zero-shot, as it would for a user.
  note = `compile failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
}
const compile = { seconds: (performance.now() - started) / 1000, demos, ...(note ? { note } : {}) };
const optimized = await predictAll(program, task.urls.optimized);

const how = `ax() signature \`${signature}\`; stream: false; maxTokens ${task.maxTokens}; AxBootstrapFewShot(maxDemos ${task.maxDemos}, maxRounds 1)`;
writeFileSync(values.out, JSON.stringify({ version, how, zeroShot, compile, optimized }));
