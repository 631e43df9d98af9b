/**
 * The three peer tasks and their deterministic splits: every system gets the same train and test rows
 * (one seeded shuffle per task), field names every peer accepts (Ax refuses generic names like `text`),
 * and labels in alphabetical order for all (small models favour the first label listed).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createRng } from '../../src/core/random';
import type { Example } from '../../src/core/types';
import { emailText, SPAM_PACKAGE } from '../../src/demo/spam-data';

export interface PeerTask {
  name: 'sentiment' | 'qa' | 'spam';
  /** What the table calls it. */
  title: string;
  /** Where the rows come from, for the docs. */
  source: string;
  inputs: string[];
  output: string;
  /** Classification labels; absent for extractive QA (scored by token F1). */
  labels?: string[];
  train: Example[];
  test: Example[];
  /** Rows the task was drawn from, before the split. */
  pool: number;
}

export interface SplitSizes {
  train: number;
  test: number;
  seed: number;
  /** QA context window in characters (the same truncation for every system). */
  contextChars: number;
  /** E-mail text kept after Subject + body extraction. */
  emailChars: number;
  /** The shared labelled data (`../shared/data` from the project root). */
  dataDir: string;
}

export const TASK_NAMES = ['sentiment', 'qa', 'spam'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

function jsonl<T>(file: string): T[] {
  if (!existsSync(file)) throw new Error(`${file} not found: run from the project root beside ../shared/data, or pass --data DIR`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Test rows first, then train rows, from one seeded shuffle: disjoint by construction. */
function split(rows: Example[], sizes: SplitSizes): { train: Example[]; test: Example[] } {
  if (rows.length < sizes.test + sizes.train) throw new Error(`only ${rows.length} rows for ${sizes.test} test + ${sizes.train} train`);
  const shuffled = createRng(sizes.seed).shuffle(rows);
  return { test: shuffled.slice(0, sizes.test), train: shuffled.slice(sizes.test, sizes.test + sizes.train) };
}

function sentiment(sizes: SplitSizes): PeerTask {
  const rows = jsonl<{ text: string; label: string }>(path.join(sizes.dataDir, 'tweeteval-sentiment-val.jsonl')).map(
    (r, i): Example => ({ id: `tweet-${i}`, inputs: { tweet: r.text }, outputs: { sentiment: r.label } }),
  );
  return {
    name: 'sentiment',
    title: 'tweet sentiment (3 classes, macro-F1)',
    source: '`../shared/data/tweeteval-sentiment-val.jsonl` (TweetEval / SemEval-2017 validation)',
    inputs: ['tweet'],
    output: 'sentiment',
    labels: ['negative', 'neutral', 'positive'],
    pool: rows.length,
    ...split(rows, sizes),
  };
}

/**
 * A window of the paragraph that holds the answer, placed at a seeded offset so the answer is not
 * always in the same spot; cut at word boundaries. Questions whose answer is not in the window are dropped
 * before the split, so every row is answerable from what every system sees.
 */
export function contextWindow(context: string, answer: string, chars: number, seed: number): string | null {
  const at = context.indexOf(answer);
  if (at === -1 || answer.length > chars) return null;
  if (context.length <= chars) return context;
  const slack = Math.min(at, chars - answer.length);
  let start = at - createRng(seed).int(slack + 1);
  let end = Math.min(context.length, start + chars);
  start = Math.max(0, end - chars);
  if (start > 0) start = context.indexOf(' ', start) + 1 || start;
  if (end < context.length) end = Math.max(at + answer.length, context.lastIndexOf(' ', end));
  const window = context.slice(start, end).trim();
  return window.includes(answer) ? window : null;
}

function qa(sizes: SplitSizes): PeerTask {
  type Row = { id: string; context: string; question: string; answer: string; answers: string[] };
  const rows: Example[] = [];
  jsonl<Row>(path.join(sizes.dataDir, 'squad-train-sample.jsonl')).forEach((r, i) => {
    const context = contextWindow(r.context, r.answer, sizes.contextChars, sizes.seed + i);
    if (context === null) return;
    const answers = [...new Set(r.answers.length > 0 ? r.answers : [r.answer])];
    rows.push({ id: r.id, inputs: { context, question: r.question }, outputs: { answer: r.answer }, alternatives: { answer: answers } });
  });
  return {
    name: 'qa',
    title: `extractive QA (SQuAD, token F1; context ≤ ${sizes.contextChars} chars)`,
    source: '`../shared/data/squad-train-sample.jsonl` (SQuAD v1.1 train sample)',
    inputs: ['context', 'question'],
    output: 'answer',
    pool: rows.length,
    ...split(rows, sizes),
  };
}

function spam(sizes: SplitSizes): PeerTask {
  const dataDir = path.join(path.dirname(require.resolve(`${SPAM_PACKAGE}/package.json`)), 'data');
  const files = JSON.parse(readFileSync(path.join(dataDir, 'file_list.json'), 'utf8')) as string[];
  // Only the sampled e-mails are read (the corpus is 6,046 files); labels come from the file's group.
  const all = files.map((file, i): Example => ({ id: file, inputs: { email: String(i) }, outputs: { category: file.startsWith('spam') ? 'spam' : 'ham' } }));
  const { train, test } = split(all, sizes);
  const read = (e: Example): Example => {
    const { text } = JSON.parse(readFileSync(path.join(dataDir, e.id.replace(/\.txt$/, '.json')), 'utf8')) as { text: string };
    return { ...e, inputs: { email: emailText(text, sizes.emailChars) } };
  };
  return {
    name: 'spam',
    title: `spam e-mail (2 classes, macro-F1; ≤ ${sizes.emailChars} chars)`,
    source: `npm \`${SPAM_PACKAGE}@0.2.3\` (SpamAssassin public corpus)`,
    inputs: ['email'],
    output: 'category',
    labels: ['ham', 'spam'],
    pool: all.length,
    train: train.map(read),
    test: test.map(read),
  };
}

export function loadTask(name: TaskName, sizes: SplitSizes): PeerTask {
  return { sentiment, qa, spam }[name](sizes);
}

/** Kkachi's signature string for the task (`tweet -> sentiment: negative|neutral|positive`). */
export function kkachiSignature(task: PeerTask): string {
  const output = task.labels ? `${task.output}: ${task.labels.join('|')}` : task.output;
  return `${task.inputs.join(', ')} -> ${output}`;
}
