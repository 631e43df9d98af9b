import { parseTaskSpec, type TaskSpecInput } from '../../src/core/task-spec';

const spec = (over: Partial<TaskSpecInput> = {}): TaskSpecInput => ({
  name: 'spam',
  signature: 'email -> label: spam|ham',
  metric: { name: 'label_accuracy' },
  lm: { model: 'm' },
  optimizer: { name: 'BootstrapFewShot' },
  data: { train: { examples: [{ inputs: { email: 'a' }, outputs: { label: 'spam' } }] }, holdout: { examples: [{ inputs: { email: 'b' }, outputs: { label: 'ham' } }] } },
  ...over,
});

describe('task spec: the gate measure, the recall floor and custom metric names', () => {
  it('accepts a measure, a floor and a registered metric name', () => {
    const parsed = parseTaskSpec(spec({ metric: { name: 'SpamAccuracy' }, gate: { measure: { name: 'recall', label: 'spam' }, recallFloor: { label: 'Spam', min: 0.6 } } }));
    expect(parsed.gate).toMatchObject({ measure: { name: 'recall', label: 'spam' }, recallFloor: { label: 'Spam', min: 0.6 }, minImprovement: 0.05 });
    expect(parsed.metric.name).toBe('SpamAccuracy');
    expect(parseTaskSpec(spec()).gate.measure).toBeUndefined();
  });

  it('names the field of each mistake', () => {
    expect(() => parseTaskSpec(spec({ gate: { measure: { name: 'recall' } } }))).toThrow(/gate\.measure\.label: the recall measure needs the label/);
    expect(() => parseTaskSpec(spec({ gate: { recallFloor: { label: 'spma', min: 0.5 } } }))).toThrow(/gate\.recallFloor\.label: "spma" is not a label of the scored field \(spam, ham\)/);
    expect(() => parseTaskSpec(spec({ gate: { recallFloor: { label: 'spam', min: 1.5 } } }))).toThrow(/gate\.recallFloor\.min/);
    expect(() => parseTaskSpec(spec({ gate: { measure: { name: 'f1' as never } } }))).toThrow(/gate\.measure\.name/);
    expect(() => parseTaskSpec(spec({ metric: { name: 'my-metric' } }))).toThrow(/metric\.name: a metric name is a built-in/);
  });
});
