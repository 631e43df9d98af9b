/**
 * The dashboard in a real headless browser (Debian's chromium driven by playwright-core): a task whose
 * learner promoted a candidate, with predictions and feedback through `kkachi serve`, shows both
 * versions, the accuracy chart and the gate's verdict with its reason, with no console errors.
 * Writes the screenshot committed as docs/dashboard.png.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { optimizeNowUpdate } from '../../src/contract';
import { serve, startLearner, type Served } from '../serving/support';
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
