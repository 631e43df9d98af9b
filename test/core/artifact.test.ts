import { ARTIFACT_SCHEMA_VERSION, createArtifact, parseArtifact, withEvalReport, type Lineage } from '../../src/core/artifact';
import { ValidationError } from '../../src/core/errors';
import { createProgram } from '../../src/core/program';

const lineage: Omit<Lineage, 'evalReportId'> = {
  parentId: 'parent-1',
  datasetId: 'ds-1',
  optimizer: { name: 'BootstrapFewShot', config: { maxBootstrappedDemos: 4, maxLabeledDemos: 16 }, seed: 7 },
};
const program = createProgram('text -> sentiment: positive|negative', 'Classify.', {
  demos: [{ inputs: { text: 'great' }, outputs: { sentiment: 'positive' } }],
});

/** A JSON round trip, as the store does. */
const stored = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('program artifacts', () => {
  it('gives the same program and lineage the same id, whatever the key order', () => {
    const a = createArtifact(program, lineage);
    const reordered = createArtifact(stored({ lm: program.lm, demos: program.demos, adapter: 'chat', instructions: 'Classify.', signature: program.signature }) as typeof program, {
      optimizer: lineage.optimizer,
      datasetId: 'ds-1',
      parentId: 'parent-1',
    });
    expect(a.schemaVersion).toBe(ARTIFACT_SCHEMA_VERSION);
    expect(a.id).toMatch(/^[0-9a-f]{64}$/);
    expect(reordered.id).toBe(a.id);
  });

  it.each([
    ['instructions', () => createArtifact({ ...program, instructions: 'Classify!' }, lineage)],
    ['a demo', () => createArtifact({ ...program, demos: [] }, lineage)],
    ['the temperature', () => createArtifact({ ...program, lm: { ...program.lm, temperature: 0.5 } }, lineage)],
    ['the adapter', () => createArtifact({ ...program, adapter: 'completion' }, lineage)],
    ['the parent', () => createArtifact(program, { ...lineage, parentId: null })],
    ['the dataset', () => createArtifact(program, { ...lineage, datasetId: 'ds-2' })],
    ['the seed', () => createArtifact(program, { ...lineage, optimizer: { ...lineage.optimizer!, seed: 8 } })],
  ])('changes the id when %s changes', (_what, make) => {
    expect(make().id).not.toBe(createArtifact(program, lineage).id);
  });

  it('leaves the eval report out of the id', () => {
    const a = createArtifact(program, lineage);
    const reported = withEvalReport(a, 'report-9');
    expect(reported.lineage.evalReportId).toBe('report-9');
    expect(reported.id).toBe(a.id);
    expect(createArtifact(program, { ...lineage, evalReportId: 'report-9' }).id).toBe(a.id);
    expect(parseArtifact(stored(reported))).toEqual(reported);
  });

  it('rejects an unknown schema version with a clear message', () => {
    const future = { ...(stored(createArtifact(program, lineage)) as object), schemaVersion: 7 };
    expect(() => parseArtifact(future)).toThrow('Unsupported program artifact schemaVersion 7 (this Kkachi reads 1)');
  });

  it('rejects a tampered artifact', () => {
    const tampered = stored(createArtifact(program, lineage)) as { program: { instructions: string } };
    tampered.program.instructions = 'Always say positive.';
    expect(() => parseArtifact(tampered)).toThrow(/id .* does not match its content/);
  });

  it('rejects a malformed artifact naming the field', () => {
    const broken = stored(createArtifact(program, lineage)) as { program: { lm: { temperature: unknown } } };
    broken.program.lm.temperature = 'hot';
    let caught: unknown;
    try {
      parseArtifact(broken);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).field).toBe('program.lm.temperature');
  });
});
