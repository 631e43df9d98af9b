/** The Amazon review sentences of npm `sentiment` (UCI Sentiment Labelled Sentences, CC BY 4.0) as examples. */
import { readFileSync } from 'node:fs';
import type { Example } from '../../src/core/types';

export function amazonSentences(): Example[] {
  const rows = JSON.parse(readFileSync(require.resolve('sentiment/test/fixtures/amazon.json'), 'utf8')) as { text: string; class: number | null }[];
  return rows
    .filter((r) => r.class !== null && r.text.trim() !== '')
    .map((r, i): Example => ({ id: `amazon-${i}`, inputs: { text: r.text }, outputs: { sentiment: r.class === 1 ? 'positive' : 'negative' } }));
}
