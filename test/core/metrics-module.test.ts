import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricFromSpec } from '../../src/core/metrics';
import { metricsFromEnv } from '../../src/activities/deps';
import { loadMetricsModule, metricsFromModule } from '../../src/core/metrics-module';
import type { Example } from '../../src/core/types';

const example: Example = { id: 'e', inputs: { text: 'x' }, outputs: { sentiment: 'positive' } };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kkachi-metrics-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('custom metrics from a user module', () => {
  it('registers every exported function by name and accepts DSPy-style results', () => {
    writeFileSync(
      join(dir, 'my-metrics.js'),
      [
        'exports.SentimentAccuracy = (example, outputs) => example.outputs.sentiment === outputs.sentiment;',
        'exports.Lenient = (example, outputs) => (outputs.sentiment ? 0.6 : 0);',
        'exports.Detailed = () => ({ score: 0.25, passed: false, details: "quarter" });',
        'exports.notAMetric = 42;',
      ].join('\n'),
    );
    const registry = loadMetricsModule('my-metrics.js', dir);
    expect(Object.keys(registry).sort()).toEqual(['Detailed', 'Lenient', 'SentimentAccuracy']);
    const accuracy = metricFromSpec({ name: 'SentimentAccuracy' }, registry);
    expect(accuracy(example, { sentiment: 'positive' })).toEqual({ score: 1, passed: true });
    expect(accuracy(example, { sentiment: 'negative' })).toEqual({ score: 0, passed: false });
    expect(registry.Lenient!(example, { sentiment: 'x' })).toEqual({ score: 0.6, passed: true });
    expect(registry.Detailed!(example, {})).toEqual({ score: 0.25, passed: false, details: 'quarter' });
    expect(metricsFromEnv({ KKACHI_METRICS_MODULE: join(dir, 'my-metrics.js') })).toHaveProperty('SentimentAccuracy');
    expect(metricsFromEnv({})).toEqual({});
  });

  it('explains what is wrong: unknown name, bad module, bad result, shadowed built-in', () => {
    expect(() => metricFromSpec({ name: 'Nope' }, {})).toThrow(/metric\.name: unknown metric "Nope"; built-in: exact_match, token_f1, label_accuracy; none registered \(set KKACHI_METRICS_MODULE/);
    expect(() => metricFromSpec({ name: 'Nope' }, metricsFromModule({ Yes: () => true }, 'm'))).toThrow(/registered: Yes/);
    expect(() => metricsFromEnv({ KKACHI_METRICS_MODULE: join(dir, 'missing.js') })).toThrow(/KKACHI_METRICS_MODULE=.*missing\.js: cannot load the metrics module/);
    expect(() => loadMetricsModule(join(dir, 'missing.js'))).toThrow(/^\/.*missing\.js: cannot load the metrics module/);
    expect(() => metricsFromModule({ token_f1: () => 1 }, 'm.js')).toThrow(/"token_f1" is a built-in metric/);
    expect(() => metricsFromModule({ x: 1 }, 'm.js')).toThrow(/exports no metric function/);
    const bad = metricsFromModule({ Bad: () => 'yes' }, 'm.js').Bad!;
    expect(() => bad(example, {})).toThrow(/metric Bad returned "yes"/);
  });
});
