/**
 * The dashboard in a real headless browser (Debian's chromium driven by playwright-core): a task whose
 * learner promoted a candidate, with predictions and feedback through `kkachi serve`, shows both
 * versions, the accuracy chart and the gate's verdict with its reason, with no console errors; a task
 * whose cycle is evaluating in shards on a slowed LM shows that cycle's stage and progress summed
 * over the shards under way, as `GET /v1/tasks/:task` does. Writes the screenshot committed as docs/dashboard.png.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { optimizeNowUpdate, type LearnerStatus } from '../../src/contract';
import { keywordOracle } from '../support/keyword-world';
import { serve, startLearner, TOKEN, type Served } from '../serving/support';
import { setUpRunningHarness, waitForStatus, type Harness } from '../workflows/harness';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (apt-get install -y chromium)`);

let h: Harness;
let s: Served;
let browser: BrowserContext;
let profile: string;
beforeAll(async () => {
  h = await setUpRunningHarness();
  s = await serve(h, { temporalUi: 'http://127.0.0.1:8233' });
  profile = mkdtempSync(join(tmpdir(), 'kkachi-chromium-'));
  // A fresh profile directory per run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    // serve() sets a token: the browser answers the page's Basic auth challenge with it.
    httpCredentials: { username: 'kkachi', password: TOKEN },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await s?.close();
  await h?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

it('shows every version, the accuracy chart and the verdicts, with no console errors', async () => {
  const { handle, baseline } = await startLearner(h, 'dashboard', {
    gate: { maxLatencyIncreaseMs: 60_000, rejectLatencyIncreaseMs: 120_000 },
    monitoring: { window: '1s', minSamples: 5, tolerance: 0.1 },
  });
  await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'dashboard test' }] });
  const done = await waitForStatus(handle, (st) => st.cycles[0]?.decision === 'promoted', 90_000);
  const candidate = done.activeVersion as string;
  expect(candidate).not.toBe(baseline);

  // Live traffic on the promoted version: 20 predictions, feedback on 10 (8 confirmed, 2 corrected).
  for (let i = 0; i < 20; i++) {
    const p = await s.call('POST', '/v1/tasks/dashboard/predict', { inputs: { text: `great product ${i}` }, key: `user-${i}` });
    expect(p.status).toBe(200);
    if (i < 10) {
      const flip = p.body.outputs.sentiment === 'positive' ? 'negative' : 'positive';
      const f = await s.call('POST', '/v1/tasks/dashboard/feedback', { predictionId: p.body.predictionId, correct: { sentiment: i < 8 ? p.body.outputs.sentiment : flip } });
      expect(f.status).toBe(202);
    }
  }
  await waitForStatus(handle, (st) => st.counters.received >= 10 && st.buffered === 0);
  // The learner's status carries the same per-version numbers, with what the cycle improved held out.
  const status = await waitForStatus(handle, (st) => st.versions[1]?.feedback === 10, 30_000);
  const gate = status.cycles[0]?.gate as NonNullable<LearnerStatus['cycles'][number]['gate']>;
  expect(status.versions.map((v) => [v.versionId, v.status])).toEqual([[baseline, 'served before'], [candidate, 'active']]);
  expect(status.versions[0]?.heldOut).toBeCloseTo(gate.baseline.accuracy, 10);
  expect(status.versions[1]).toMatchObject({ predictions: 20, feedback: 10, corrections: 2, feedbackRate: 0.1, liveAccuracy: 0.8 });
  expect(status.versions[1]?.heldOut).toBeCloseTo(gate.candidate.accuracy, 10);
  expect(status.versions[1]?.heldOutChange).toBeCloseTo(gate.candidate.accuracy - gate.baseline.accuracy, 10);

  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
  const res = await page.goto(s.server.url, { waitUntil: 'load' });
  expect(res?.status()).toBe(200);

  const section = page.locator('#task-dashboard');
  await expect(section.locator('h2').textContent()).resolves.toBe('dashboard');
  const rows = section.locator('table.versions tbody tr');
  expect(await rows.count()).toBe(2);
  expect(await section.locator('table.versions code').evaluateAll((els) => els.map((e) => e.getAttribute('title')))).toEqual([baseline, candidate]);
  await expect(section.locator('tr.active').textContent()).resolves.toMatch(/active.*100\.0%|active/);
  // The chart: a held-out point per version (both were evaluated by the gate) and a live point for the candidate.
  expect(await section.locator('svg.chart circle.heldout').count()).toBe(2);
  expect(await section.locator('svg.chart circle.live').count()).toBeGreaterThanOrEqual(1);
  await expect(section.locator('svg.chart circle.live title').last().textContent()).resolves.toBe('live 80.0%');
  // The gate's verdict with its reason, and a link to the rollout's run in the Web UI.
  await expect(section.locator('table.verdicts').textContent()).resolves.toMatch(/promote: accuracy \+\d+\.\d pts/);
  expect(await section.locator('table.verdicts a').first().getAttribute('href')).toBe(
    'http://127.0.0.1:8233/namespaces/default/workflows/kkachi-learner-dashboard-cycle-1-rollout',
  );
  await page.screenshot({ path: resolve(__dirname, '../../docs/dashboard.png'), fullPage: true });
  expect(problems).toEqual([]);
  await page.close();
  await handle.terminate('test done');
}, 240_000);

it("shows a running cycle's stage and progress on the page and in GET /v1/tasks/:task", async () => {
  const oracle = keywordOracle();
  // The holdout evaluated in shards of 15, side by side. 10 s per answer, 8 at a time: a shard outlasts
  // the SDK's heartbeat throttle (80% of the 20 s heartbeat timeout), so the server sees examples done past 0.
  h.double.setHandler((req) => ({ text: oracle(req), delayMs: 10_000 }));
  // Other instructions than the first task's: its prompts must miss the activities' LM response cache.
  const { handle } = await startLearner(h, 'running', {
    instructions: 'Say whether this review is positive or negative.',
    gate: { maxLatencyIncreaseMs: 60_000, rejectLatencyIncreaseMs: 120_000 },
    evaluation: { shardSize: 15 },
  });
  const holdout = (await h.store.getTaskSpec('running')) as { data: { holdout: { examples: unknown[] } } };
  const shards = Math.ceil(holdout.data.holdout.examples.length / 15);
  try {
    await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'progress test' }] });
    const deadline = Date.now() + 120_000;
    let task: Awaited<ReturnType<Served['call']>>['body'] = null;
    let last: unknown = null;
    while (Date.now() < deadline) {
      const res = await s.call('GET', '/v1/tasks/running');
      last = { progress: res.body.progress, learnerError: res.body.learnerError, cycles: res.body.learner?.cycles };
      if (res.body.progress?.stage === 'evaluate' && res.body.progress.activity?.progress?.done > 0) {
        task = res.body;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    if (!task) throw new Error(`GET /v1/tasks/running never showed the evaluation under way; last: ${JSON.stringify(last)}`);
    expect(task.learner.running).toBe(true);
    expect(task.progress).toEqual({
      cycle: 1,
      stage: 'evaluate',
      workflowId: 'kkachi-learner-running-cycle-1',
      activity: {
        type: 'evaluateShard',
        attempt: 1,
        running: expect.any(Number),
        progress: { stage: 'evaluate', done: expect.any(Number), total: expect.any(Number), correct: expect.any(Number) },
        shards: { done: expect.any(Number), total: shards },
      },
    });
    // Every shard's numbers are in: the shards under way hold up to 15 examples each.
    const { running, progress: step } = task.progress.activity;
    expect(running).toBeGreaterThan(1);
    expect(task.progress.activity.shards.done).toBe(shards - running);
    expect(step.total).toBeGreaterThan(15);
    expect(step.total).toBeLessThanOrEqual(running * 15);
    expect(step.done).toBeLessThanOrEqual(step.total);
    expect(step.correct).toBeLessThanOrEqual(step.done);

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(s.server.url, { waitUntil: 'load' });
    const line = page.locator('#task-running p.progress');
    const shown = await line.textContent();
    expect(shown).toMatch(new RegExp(`^running: cycle 1 evaluate, evaluate: \\d+ of \\d+ in \\d shards? under way, \\d of ${shards} shards done, \\d+\\.\\d% right so far`));
    const [, shownTotal] = /of (\d+) in/.exec(shown ?? '') ?? [];
    expect(Number(await line.locator('progress').getAttribute('max'))).toBe(Number(shownTotal));
    // A shard that finished meanwhile has left the sum: the bar covers the shards under way.
    expect(Number(await line.locator('progress').getAttribute('value'))).toBeLessThanOrEqual(Number(shownTotal));
    expect(await line.locator('a').getAttribute('href')).toBe('http://127.0.0.1:8233/namespaces/default/workflows/kkachi-learner-running-cycle-1');
    // The first task has no cycle running: no progress line there.
    expect(await page.locator('#task-dashboard p.progress').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  } finally {
    h.double.setHandler(oracle);
    await handle.terminate('test done');
  }
}, 240_000);
