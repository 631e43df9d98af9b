/**
 * The keyword world: a toy sentiment task whose scripted "model" (a handler for the LM double) can only
 * label a text by copying the label of a demo that mentions the same nonsense keyword. Zero-shot it
 * answers a fixed default label (≈ 50% accuracy); with the right demos in the prompt it is right, except
 * on texts marked "tricky", where it is always wrong. That makes what an optimizer does observable:
 * demos help, and a tricky example never passes the metric, so it never becomes a bootstrapped demo.
 *
 *   const double = await startLMDouble(keywordOracle());
 *   const trainset = makeExamples(24, 1);
 *   const program = keywordProgram();            // `text -> sentiment: positive|negative`, zero-shot
 */
import { renderOutputs } from '../../src/core/adapters/chat';
import type { ProgramSpec } from '../../src/core/program';
import { createRng } from '../../src/core/random';
import { parseSignature } from '../../src/core/signature';
import type { TaskSpecInput } from '../../src/core/task-spec';
import type { Example } from '../../src/core/types';
import type { DoubleMessage, DoubleReply, DoubleRequest } from './lm-double';

export type Label = 'positive' | 'negative';

export const KEYWORD_SIGNATURE = 'text -> sentiment: positive|negative';
export const KEYWORD_INSTRUCTIONS = 'Classify the sentiment of the review.';

/** Nonsense words with a fixed sentiment; none is a substring of another. */
export const KEYWORDS: Readonly<Record<string, Label>> = {
  zorp: 'positive',
  blicket: 'positive',
  fribble: 'positive',
  quazzle: 'positive',
  wugnut: 'positive',
  flimsk: 'positive',
  glorp: 'negative',
  daxel: 'negative',
  plimf: 'negative',
  vrask: 'negative',
  murkle: 'negative',
  snib: 'negative',
};

/** The marker word on which the oracle always answers the wrong label. */
export const TRICKY = 'tricky';

/** Neutral sentences: nothing but the keyword says which label is right. */
const TEMPLATES = [
  'I found the {k} rather remarkable.',
  'The {k} arrived on Tuesday, as promised.',
  'My neighbour keeps talking about the {k}.',
  'We tried the {k} at the weekend.',
  'Honestly, the {k} was something else.',
  'After a week with the {k}, here is my verdict.',
];

const KEYWORD_NAMES = Object.keys(KEYWORDS);
const KEYWORD_PATTERN = new RegExp(`\\b(${KEYWORD_NAMES.join('|')})\\b`, 'g');
const LABEL_PATTERN = /\b(positive|negative)\b/;

const opposite = (label: Label): Label => (label === 'positive' ? 'negative' : 'positive');

/** The keywords in a text, in order of appearance. */
function keywordsIn(text: string): string[] {
  return [...text.matchAll(KEYWORD_PATTERN)].map((m) => m[1] as string);
}

/** The (first) keyword of a text, for tests that check which demos a request saw. */
export function keywordOf(text: unknown): string | undefined {
  return keywordsIn(String(text))[0];
}

export function isTricky(example: Example): boolean {
  return String(example.inputs.text).includes(TRICKY);
}

/**
 * n examples, each text with exactly one keyword and a label from the table. Texts are numbered
 * ("Review 7: …") so they are unique within a set; ids carry the seed so sets made with different seeds
 * never share one. round(n × trickyRate) of them, picked by the seed, carry the "tricky" marker.
 */
export function makeExamples(n: number, seed: number, opts: { trickyRate?: number } = {}): Example[] {
  const rng = createRng(seed);
  const trickyCount = Math.round(n * (opts.trickyRate ?? 0.1));
  const tricky = new Set(rng.sample([...Array(n).keys()], trickyCount));
  return Array.from({ length: n }, (_, i) => {
    const keyword = KEYWORD_NAMES[rng.int(KEYWORD_NAMES.length)] as string;
    const sentence = (TEMPLATES[rng.int(TEMPLATES.length)] as string).replace('{k}', keyword);
    const text = `Review ${i}${tricky.has(i) ? ` (${TRICKY})` : ''}: ${sentence}`;
    return { id: `kw-${seed}-${i}`, inputs: { text }, outputs: { sentiment: KEYWORDS[keyword] as Label } };
  });
}

/** Two forums for routing: on "ironic" every keyword means the opposite of what it means on "shop". */
export const FORUM_SIGNATURE = 'forum, text -> sentiment: positive|negative';
export const FORUMS = ['shop', 'ironic'] as const;

/** n keyword examples, forums alternating, labels flipped on "ironic"; no tricky ones. */
export function makeForumExamples(n: number, seed: number): Example[] {
  return makeExamples(n, seed, { trickyRate: 0 }).map((e, i) => {
    const forum = FORUMS[i % 2] as (typeof FORUMS)[number];
    const label = e.outputs.sentiment as Label;
    return { id: `${e.id}-${forum}`, inputs: { forum, text: e.inputs.text as string }, outputs: { sentiment: forum === 'ironic' ? opposite(label) : label } };
  });
}

/** The zero-shot keyword program (chat adapter, greedy) with optional overrides. */
export function keywordProgram(overrides: Partial<ProgramSpec> = {}): ProgramSpec {
  return {
    signature: KEYWORD_SIGNATURE,
    instructions: KEYWORD_INSTRUCTIONS,
    demos: [],
    adapter: 'chat',
    lm: { temperature: 0, maxTokens: 32 },
    ...overrides,
  };
}

/**
 * A task spec for the keyword world against an LM double (train and holdout examples inline), for
 * pipeline tests: `parseTaskSpec(keywordTaskSpec({ baseURL: double.baseURL }))`.
 */
/**
 * The keyword world answers instantly, so any latency difference a gate sees in tests is the loaded
 * machine's scheduling noise (p50 deltas of 70+ ms seen with many processes on 2 cores). Test specs
 * that are not about latency use limits noise cannot reach; the latency rule has its own unit tests.
 */
export const NOISE_TOLERANT_LATENCY = { maxLatencyIncreaseMs: 60_000, rejectLatencyIncreaseMs: 120_000 } as const;

export function keywordTaskSpec(opts: { baseURL: string; train?: Example[]; holdout?: Example[]; overrides?: Partial<TaskSpecInput> }): TaskSpecInput {
  return {
    name: 'keyword-sentiment',
    signature: KEYWORD_SIGNATURE,
    instructions: KEYWORD_INSTRUCTIONS,
    metric: { name: 'label_accuracy', field: 'sentiment' },
    lm: { provider: 'openai', model: 'keyword-oracle', baseURL: opts.baseURL, maxTokens: 32 },
    optimizer: { name: 'BootstrapFewShot', config: {}, seed: 0 },
    data: {
      train: { examples: opts.train ?? makeExamples(24, 1) },
      holdout: { examples: opts.holdout ?? makeExamples(40, 2) },
    },
    ...opts.overrides,
    gate: { ...NOISE_TOLERANT_LATENCY, ...opts.overrides?.gate },
  };
}

/** Earlier user → assistant pairs are demos; the label is the first label word of the reply. */
function demosIn(messages: DoubleMessage[], queryIndex: number): { text: string; label: Label }[] {
  const demos: { text: string; label: Label }[] = [];
  for (let i = 0; i < queryIndex; i++) {
    const user = messages[i];
    const reply = messages[i + 1];
    if (user?.role !== 'user' || reply?.role !== 'assistant') continue;
    const label = LABEL_PATTERN.exec(reply.content)?.[1] as Label | undefined;
    if (label) demos.push({ text: user.content, label });
  }
  return demos;
}

const signature = parseSignature(KEYWORD_SIGNATURE);

/** The label most demos carry; `fallback` on a tie or without demos. */
function majorityLabel(demos: readonly { label: Label }[], fallback: Label): Label {
  const positives = demos.filter((d) => d.label === 'positive').length;
  const negatives = demos.length - positives;
  return positives === negatives ? fallback : positives > negatives ? 'positive' : 'negative';
}

/**
 * The keyword world's embedding model for the LM double (`startLMDouble(handler, { embed })`): one
 * dimension per keyword, plus a constant one so a text without any is not a zero vector. Like a real
 * embedding model, it places texts by what they are about (the keyword), not by the template filler
 * that a hashed bag of words counts as much.
 */
export function keywordEmbedding(text: string): number[] {
  const found = keywordsIn(text);
  return [...KEYWORD_NAMES.map((k) => found.filter((f) => f === k).length), 0.1];
}

export interface KeywordOracleOptions {
  defaultLabel?: Label;
  /**
   * Without a demo for the query's keyword, answer the demos' majority label (`defaultLabel` on a
   * tie), as a small model takes on the label bias of its prompt.
   */
  followMajority?: boolean;
}

/** How sure the keyword-world model is of its answer: a demo names the keyword (or the text is tricky), or it guesses. */
export const KEYWORD_CONFIDENCE = { demo: 0.9, guess: 0.7 } as const;

/**
 * The keyword-world model's answer to a request: the label of a demo mentioning the query's keyword,
 * else `defaultLabel` (default 'negative') or, with `followMajority`, the demos' majority label; and
 * the wrong label on tricky queries. Its probability is `KEYWORD_CONFIDENCE.demo` when a demo or the
 * tricky marker decided, `KEYWORD_CONFIDENCE.guess` otherwise: the guess is the model's label bias.
 */
function keywordAnswer(req: DoubleRequest, opts: KeywordOracleOptions): { label: Label; probability: number } {
  const defaultLabel = opts.defaultLabel ?? 'negative';
  const queryIndex = req.messages.map((m) => m.role).lastIndexOf('user');
  const query = req.messages[queryIndex]?.content ?? '';
  const keyword = keywordsIn(query).at(-1);
  const demos = demosIn(req.messages, queryIndex);
  if (keyword && query.includes(TRICKY)) return { label: opposite(KEYWORDS[keyword] as Label), probability: KEYWORD_CONFIDENCE.demo };
  const match = keyword && demos.find((d) => keywordsIn(d.text).includes(keyword));
  if (match) return { label: match.label, probability: KEYWORD_CONFIDENCE.demo };
  return { label: opts.followMajority ? majorityLabel(demos, defaultLabel) : defaultLabel, probability: KEYWORD_CONFIDENCE.guess };
}

/** The reply text: chat-adapter field markers when the system prompt uses them, else the bare label. */
function keywordReply(req: DoubleRequest, label: Label): string {
  const usesMarkers = req.messages.some((m) => m.role === 'system' && m.content.includes('[[ ##'));
  return usesMarkers ? renderOutputs(signature, { sentiment: label }) : label;
}

/** A double handler playing the keyword-world model (`keywordAnswer`): its reply text. */
export function keywordOracle(opts: KeywordOracleOptions = {}): (req: DoubleRequest) => string {
  return (req) => keywordReply(req, keywordAnswer(req, opts).label);
}

/**
 * The same model, also reporting its label probabilities when a request asks for `logprobs` (the
 * double puts them on the label token), so label-bias calibration over HTTP has something to read.
 */
export function keywordModel(opts: KeywordOracleOptions = {}): (req: DoubleRequest) => DoubleReply {
  return (req) => {
    const { label, probability } = keywordAnswer(req, opts);
    return { text: keywordReply(req, label), choiceProbs: { [label]: probability, [opposite(label)]: 1 - probability } };
  };
}
