/**
 * Custom search attributes that make Kkachi's workflows findable in the Web UI
 * (`KkachiTask = "sentiment" AND KkachiStage = "monitoring"`). `npm run temporal`
 * (scripts/temporal-dev.sh, pinned to this list by a test), the demo and the test server register
 * them; `temporal operator search-attribute create` does it on any other server.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const KKACHI_TASK = defineSearchAttributeKey('KkachiTask', SearchAttributeType.KEYWORD);
export const KKACHI_STAGE = defineSearchAttributeKey('KkachiStage', SearchAttributeType.KEYWORD);
export const KKACHI_ACTIVE_VERSION = defineSearchAttributeKey('KkachiActiveVersion', SearchAttributeType.KEYWORD);

export const KKACHI_SEARCH_ATTRIBUTES = [KKACHI_TASK, KKACHI_STAGE, KKACHI_ACTIVE_VERSION] as const;

/** The names a server must have registered (all of type Keyword). */
export const SEARCH_ATTRIBUTE_NAMES: readonly string[] = KKACHI_SEARCH_ATTRIBUTES.map((key) => key.name);
