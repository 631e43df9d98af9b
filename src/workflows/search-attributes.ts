/**
 * Custom search attributes that make Kkachi's workflows findable in the Web UI
 * (`KkachiTask = "sentiment" AND KkachiStage = "monitoring"`). `npm run temporal` and the test server
 * register them; `temporal operator search-attribute create` does it on any other server.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { upsertSearchAttributes } from '@temporalio/workflow';

export const KKACHI_TASK = defineSearchAttributeKey('KkachiTask', SearchAttributeType.KEYWORD);
export const KKACHI_STAGE = defineSearchAttributeKey('KkachiStage', SearchAttributeType.KEYWORD);
export const KKACHI_ACTIVE_VERSION = defineSearchAttributeKey('KkachiActiveVersion', SearchAttributeType.KEYWORD);

export const KKACHI_SEARCH_ATTRIBUTES = [KKACHI_TASK, KKACHI_STAGE, KKACHI_ACTIVE_VERSION] as const;

/** Upserts whichever of task, stage and active version are given. */
export function markProgress(marks: { task?: string; stage?: string; activeVersion?: string | null }): void {
  const pairs = [];
  if (marks.task !== undefined) pairs.push({ key: KKACHI_TASK, value: marks.task });
  if (marks.stage !== undefined) pairs.push({ key: KKACHI_STAGE, value: marks.stage });
  if (marks.activeVersion) pairs.push({ key: KKACHI_ACTIVE_VERSION, value: marks.activeVersion });
  if (pairs.length > 0) upsertSearchAttributes(pairs);
}
