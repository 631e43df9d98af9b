/**
 * Label probabilities over HTTP: the OpenAI provider against `kkachi model serve` (in-process, same
 * server code), zero-shot completion-adapter prompts. Per model and set: what asking for `logprobs`
 * costs per call and per generated token, how often every label is read from the answer token's top 20,
 * and how often those labels rank first the label the embedded model's own whole-label scoring ranks first.
 * Run: see docs/BENCHMARKS.md ("Label probabilities over HTTP").
 */
import * as os from 'node:os';
import { completionAdapter } from '../src/core/adapters/completion';
import { createLocalLM } from '../src/core/lm/local';
import { disposeLocalRuntimes, llamaThreads } from '../src/core/lm/local-runtime';
import { OpenAICompatibleLM } from '../src/core/lm/openai';
import type { ChatMessage, CompletionOptions, LM } from '../src/core/lm/types';
import { createProgram } from '../src/core/program';
import { createRng } from '../src/core/random';
import { modelsDir } from '../src/models/location';
import { startOpenAIServer } from '../src/server/openai-server';
import { arg, sentences, spam, type DataSet } from './datasets';

const MAX_TOKENS = 32;

interface Tally {
  calls: number;
  ms: number;
  tokens: number;
}

const perCall = (t: Tally) => (t.ms / t.calls).toFixed(0);
const perToken = (t: Tally) => (t.ms / Math.max(t.tokens, 1)).toFixed(0);
const argmax = (lps: readonly number[]) => lps.indexOf(Math.max(...lps));

async function timed(lm: LM, messages: ChatMessage[], options: CompletionOptions, tally: Tally) {
  const completion = await lm.complete(messages, { temperature: 0, maxTokens: MAX_TOKENS, cache: false, ...options });
  tally.calls += 1;
  tally.ms += completion.latencyMs;
  tally.tokens += completion.usage.completionTokens;
  return completion;
}

async function measure(model: string, set: DataSet, n: number): Promise<string> {
  const local = await createLocalLM({ model, modelsDir: modelsDir() });
  const server = await startOpenAIServer({ lm: local, modelName: model });
  try {
    const remote = new OpenAICompatibleLM({ model, baseURL: server.baseURL, retry: 'off' });
    const program = createProgram(set.signature, '', { adapter: 'completion' });
    const plain: Tally = { calls: 0, ms: 0, tokens: 0 };
    const scored: Tally = { calls: 0, ms: 0, tokens: 0 };
    let read = 0;
    let agree = 0;
    for (const row of createRng(7).sample(set.rows, n)) {
      const messages = completionAdapter.format(program, row.inputs);
      // First: both timed calls then find the prompt evaluated (up to its last aligned chunk) alike.
      const embedded = (await local.complete(messages, { temperature: 0, choices: set.labels, scoreChoices: true, cache: false })).choiceLogProbs;
      await timed(remote, messages, { choices: set.labels }, plain);
      const reply = await timed(remote, messages, { choices: set.labels, scoreChoices: true }, scored);
      const overHttp = reply.choiceLogProbs;
      if (process.env.VERBOSE) console.error(JSON.stringify({ text: reply.text.slice(0, 60), overHttp, embedded }));
      if (!overHttp || !embedded) continue;
      read += 1;
      if (argmax(overHttp) === argmax(embedded)) agree += 1;
    }
    return `| ${model} | ${set.name} | ${n} | ${perCall(plain)} (${perToken(plain)}/token) | ${perCall(scored)} (${perToken(scored)}/token) | ${(plain.tokens / n).toFixed(1)} | ${read}/${n} | ${agree}/${read} |`;
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  const models = arg('models', 'smollm2-135m,gemma3-270m').split(',');
  const sets = arg('set', 'amazon,spam').split(',');
  const n = Number(arg('n', '12'));
  console.log(`${new Date().toISOString()} ${os.cpus()[0]?.model ?? 'cpu'} ×${os.availableParallelism()}, llama threads ${llamaThreads()}, load ${os.loadavg()[0]?.toFixed(2)}`);
  console.log('| model | data | calls | ms/call without logprobs | ms/call with logprobs (top 20) | reply tokens/call | every label read | argmax = embedded |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const model of models) {
    for (const name of sets) {
      const set = name === 'spam' ? await spam() : sentences('amazon');
      console.log(await measure(model, set, n));
    }
  }
  await disposeLocalRuntimes();
}

void main();
