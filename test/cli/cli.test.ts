import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createArtifact } from '../../src/core/artifact';
import { createProgram } from '../../src/core/program';
import { COMMANDS } from '../../src/cli/main';
import { DEFAULT_MODEL } from '../../src/core/lm/catalogue';
import { startLMDouble, type LMDouble } from '../support/lm-double';
import { ensureBuilt, hasStackTrace, runCli, spawnCli } from './support';

const oneLine = (text: string): void => {
  expect(text.trim().split('\n')).toHaveLength(1);
  expect(text.startsWith('kkachi: ')).toBe(true);
  expect(hasStackTrace(text)).toBe(false);
};

describe('kkachi CLI', () => {
  let dir: string;
  let programFile: string;
  let dataFile: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kkachi-cli-'));
    programFile = path.join(dir, 'program.json');
    dataFile = path.join(dir, 'data.jsonl');
    const program = createProgram('text -> sentiment: positive|negative', 'Classify the sentiment.', { adapter: 'completion' });
    writeFileSync(programFile, JSON.stringify(createArtifact(program, { parentId: null, datasetId: null, optimizer: null })));
    writeFileSync(
      dataFile,
      ['{"id":"a","text":"I love it","sentiment":"positive"}', '{"id":"b","text":"Awful, broke at once","sentiment":"negative"}', '{"id":"c","text":"Works fine","sentiment":"positive"}'].join('\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help exits 0 and lists every command', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const name of ['demo', 'model fetch', 'model serve', 'task start', 'task feedback', 'task status', 'task rollback', 'eval']) {
      expect(run.stdout).toContain(`  ${name} `);
    }
  });

  it('task --help exits 0 and lists the task subcommands only', async () => {
    const run = await runCli(['task', '--help']);
    expect(run.code).toBe(0);
    for (const sub of ['start', 'feedback', 'status', 'rollback']) expect(run.stdout).toContain(`task ${sub}`);
    expect(run.stdout).not.toContain('model fetch');
  });

  it.each(COMMANDS.map((c) => [c.path.join(' ')]))('%s --help shows its usage and flags', async (name) => {
    const run = await runCli([...name.split(' '), '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith(`Usage: kkachi ${name}`)).toBe(true);
    expect(run.stdout).toContain('--help');
  });

  it('an unknown flag exits 2 with one line naming it', async () => {
    const run = await runCli(['task', 'status', '--task', 'x', '--bogus']);
    expect(run.code).toBe(2);
    oneLine(run.stderr);
    expect(run.stderr).toContain('--bogus');
  });

  it('a missing required flag, an unknown command and bad JSON each exit 2 with one line', async () => {
    const missing = await runCli(['task', 'start']);
    expect(missing.code).toBe(2);
    oneLine(missing.stderr);
    expect(missing.stderr).toContain('--spec is required');

    const unknown = await runCli(['deploy']);
    expect(unknown.code).toBe(2);
    oneLine(unknown.stderr);

    const badJson = await runCli(['task', 'feedback', '--task', 't', '--prediction-id', 'p', '--input', '{', '--predicted', '{}', '--correct', '{}']);
    expect(badJson.code).toBe(2);
    oneLine(badJson.stderr);
    expect(badJson.stderr).toContain('--input is not valid JSON');

    const badRender = await runCli(['model', 'serve', '--model', 'smollm2-135m', '--render', 'fancy']);
    expect(badRender.code).toBe(2);
    oneLine(badRender.stderr);
    expect(badRender.stderr).toContain('--render must be chat or plain');
  });

  it('an invalid task spec fails before contacting Temporal, naming the field', async () => {
    const spec = path.join(dir, 'bad.task.json');
    writeFileSync(spec, JSON.stringify({ name: 'Bad Name', signature: 'text -> label' }));
    const run = await runCli(['task', 'start', '--spec', spec], { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.code).toBe(1);
    oneLine(run.stderr);
    expect(run.stderr).toContain('name:');
    expect(run.stderr).not.toContain('Temporal');
  });

  it('oversized feedback (3 MB) is refused before contacting Temporal, naming the field and the limit', async () => {
    const feedback = ['task', 'feedback', '--task', 't', '--prediction-id', 'p', '--predicted', '{"label":"a"}', '--correct', '{"label":"b"}'];
    const startedAt = Date.now();
    const run = await runCli([...feedback, '--input', JSON.stringify({ text: 'x'.repeat(3_000_000) })], { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(run.code).toBe(1);
    oneLine(run.stderr);
    expect(run.stderr).toMatch(/feedback rejected: input\.text: feedback is \d+ bytes, over the limit of 65536 bytes/);
    expect(run.stderr.length).toBeLessThan(300);
    // A task whose spec allows larger records says so with --max-bytes; then the check passes and Temporal is contacted.
    const allowed = await runCli([...feedback, '--input', JSON.stringify({ text: 'x'.repeat(100_000) }), '--max-bytes', '200000'], { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(allowed.stderr).toContain('cannot reach Temporal');
  });

  it('an unreachable Temporal server is one clear line', async () => {
    const run = await runCli(['task', 'status', '--task', 'sentiment'], { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.code).toBe(1);
    oneLine(run.stderr);
    expect(run.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
  });

  it('a missing model names `kkachi model fetch`, not a stack trace', async () => {
    const env = { ...process.env, KKACHI_MODELS_DIR: path.join(dir, 'no-models'), KKACHI_LM: '', KKACHI_MODEL: '' };
    const run = await runCli(['eval', '--program', programFile, '--data', dataFile], env);
    expect(run.code).toBe(1);
    oneLine(run.stderr);
    expect(run.stderr).toContain(`kkachi model fetch ${DEFAULT_MODEL}`);
  });

  describe('eval against an OpenAI-compatible endpoint', () => {
    let double: LMDouble;
    beforeAll(async () => {
      double = await startLMDouble();
      // Answers "positive" to everything: right on a and c, wrong on b.
      double.setHandler(() => 'Sentiment: positive');
    });
    afterAll(() => double.close());

    it('prints a report whose numbers come from the run', async () => {
      const env = { ...process.env, OPENAI_API_KEY: 'test-key' };
      const run = await runCli(['eval', '--program', programFile, '--data', dataFile, '--provider', 'openai', '--base-url', double.baseURL, '--model', 'm', '--json'], env);
      expect(run.stderr).not.toContain('kkachi:');
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout);
      expect(report).toMatchObject({ n: 3, metric: 'label_accuracy', predictions: 3, lmCalls: 3, errors: 0 });
      expect(report.accuracy).toBeCloseTo(2 / 3);
      expect(report.rows.map((r: { id: string; passed: boolean }) => [r.id, r.passed])).toEqual([
        ['a', true],
        ['b', false],
        ['c', true],
      ]);
      expect(double.requests).toHaveLength(3);
    });
  });

  describe('bin/kkachi.js as a child process', () => {
    beforeAll(() => ensureBuilt(), 180_000);

    it('exits 0 on --help and 2 with one line on a bad flag', async () => {
      const help = await spawnCli(['--help'], process.env, 30_000);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('task start');
      const bad = await spawnCli(['model', 'fetch', '--nope'], process.env, 30_000);
      expect(bad.code).toBe(2);
      oneLine(bad.stderr);
    });
  });
});
