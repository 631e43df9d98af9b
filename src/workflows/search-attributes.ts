/** Marks a workflow's progress in Kkachi's search attributes (keys defined in the contract). */
import { upsertSearchAttributes } from '@temporalio/workflow';
import { KKACHI_ACTIVE_VERSION, KKACHI_STAGE, KKACHI_TASK } from '../contract';

/** Upserts whichever of task, stage and active version are given. */
export function markProgress(marks: { task?: string; stage?: string; activeVersion?: string | null }): void {
  const pairs = [];
  if (marks.task !== undefined) pairs.push({ key: KKACHI_TASK, value: marks.task });
  if (marks.stage !== undefined) pairs.push({ key: KKACHI_STAGE, value: marks.stage });
  if (marks.activeVersion) pairs.push({ key: KKACHI_ACTIVE_VERSION, value: marks.activeVersion });
  if (pairs.length > 0) upsertSearchAttributes(pairs);
}
