/**
 * The program artifact: what the registry stores for a version. Plain JSON, schema-versioned, and
 * content-addressed, so the same program built from the same lineage always gets the same id.
 */
import { z } from 'zod';
import { contentHash } from './canonical';
import { parseOrThrow, ValidationError } from './errors';
import { programSpecSchema, type ProgramSpec, type ProgramSpecInput } from './program';

export const ARTIFACT_SCHEMA_VERSION = 1;

const lineageSchema = z.object({
  parentId: z.string().nullable(),
  datasetId: z.string().nullable(),
  optimizer: z
    .object({ name: z.string(), config: z.record(z.string(), z.unknown()), seed: z.number() })
    .nullable(),
  /** Set after evaluation, so it is not part of the id (the report refers to the id). */
  evalReportId: z.string().nullable(),
});

export type Lineage = z.infer<typeof lineageSchema>;

const artifactSchema = z.strictObject({
  schemaVersion: z.literal(ARTIFACT_SCHEMA_VERSION),
  id: z.string(),
  program: programSpecSchema,
  lineage: lineageSchema,
});

export interface ProgramArtifact {
  schemaVersion: typeof ARTIFACT_SCHEMA_VERSION;
  id: string;
  program: ProgramSpec;
  lineage: Lineage;
}

function artifactId(artifact: Omit<ProgramArtifact, 'id'>): string {
  const { evalReportId: _excluded, ...hashedLineage } = artifact.lineage;
  return contentHash({ schemaVersion: artifact.schemaVersion, program: artifact.program, lineage: hashedLineage });
}

/** Builds an artifact from a program (defaults filled in) and its lineage. */
export function createArtifact(
  program: ProgramSpec | ProgramSpecInput,
  lineage: Omit<Lineage, 'evalReportId'> & { evalReportId?: string | null },
): ProgramArtifact {
  const content = {
    schemaVersion: ARTIFACT_SCHEMA_VERSION,
    program: parseOrThrow(programSpecSchema, program, 'program'),
    lineage: parseOrThrow(lineageSchema, { ...lineage, evalReportId: lineage.evalReportId ?? null }, 'lineage'),
  } as const;
  return { ...content, id: artifactId(content) };
}

/** Records the eval report of a stored artifact; the id does not change. */
export function withEvalReport(artifact: ProgramArtifact, reportId: string): ProgramArtifact {
  return { ...artifact, lineage: { ...artifact.lineage, evalReportId: reportId } };
}

/** Validates stored JSON as an artifact this version of Kkachi can read, and verifies its id. */
export function parseArtifact(json: unknown): ProgramArtifact {
  const version = typeof json === 'object' && json !== null ? (json as { schemaVersion?: unknown }).schemaVersion : undefined;
  if (version !== undefined && version !== ARTIFACT_SCHEMA_VERSION) {
    throw new ValidationError(
      'schemaVersion',
      `Unsupported program artifact schemaVersion ${JSON.stringify(version)} (this Kkachi reads ${ARTIFACT_SCHEMA_VERSION})`,
    );
  }
  const artifact = parseOrThrow(artifactSchema, json) as ProgramArtifact;
  const expected = artifactId(artifact);
  if (artifact.id !== expected) {
    throw new ValidationError('id', `Program artifact id ${artifact.id} does not match its content (hash ${expected}): it was modified`);
  }
  return artifact;
}
