/**
 * Registry activities. Every pointer move is a compare-and-set in the store, so a retried attempt
 * whose first try already moved the pointer reports `changed: false` instead of moving it twice.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createArtifact, type ProgramArtifact } from '../core/artifact';
import { createProgram } from '../core/program';
import { parseTaskSpec, type TaskSpec } from '../core/task-spec';
import type { Pointers } from '../store';
import { STALE_ACTIVE_VERSION, type KkachiActivities, type PointerChange } from '../contract';
import type { Deps } from './deps';
import { notFound } from './failures';

/** The spec's zero-shot program: signature, instructions, adapter and LM settings, no demos. */
export function baselineArtifact(spec: TaskSpec): ProgramArtifact {
  const program = createProgram(spec.signature, spec.instructions, {
    adapter: spec.adapter,
    lm: { temperature: spec.lm.temperature, maxTokens: spec.lm.maxTokens },
  });
  return createArtifact(program, { parentId: null, datasetId: null, optimizer: null });
}

const change = (p: Pointers, changed: boolean): PointerChange => ({ active: p.active, previous: p.previous, changed });

export function registryActivities({ store }: Deps): Pick<KkachiActivities, 'ensureBaseline' | 'activeVersion' | 'promote' | 'restorePrevious' | 'rollBackCanary' | 'setCanary'> {
  return {
    async ensureBaseline(rawSpec) {
      const spec = parseTaskSpec(rawSpec);
      const artifact = baselineArtifact(spec);
      // Serving reads it to reach the task's LM and to start the learner when feedback arrives first.
      await store.putTaskSpec(spec.name, rawSpec);
      await store.putProgram(spec.name, artifact);
      // Losing this race to another worker is fine: the task then has an active version either way.
      await store.compareAndSetActive(spec.name, { expected: null, next: artifact.id, actor: 'kkachi', reason: 'baseline' });
      const { active } = await store.getPointers(spec.name);
      return { versionId: artifact.id, active: active ?? artifact.id };
    },

    async activeVersion(task) {
      return store.routing(task);
    },

    async promote(task, { versionId, expectedActive, actor, reason }) {
      if (!(await store.hasVersion(task, versionId))) throw notFound(`program version of task "${task}"`, versionId);
      const before = await store.getPointers(task);
      if (before.active === versionId) return change(before, false);
      if (await store.compareAndSetActive(task, { expected: expectedActive, next: versionId, actor, reason })) {
        return change(await store.getPointers(task), true);
      }
      const now = await store.getPointers(task);
      if (now.active === versionId) return change(now, false);
      // Someone else moved the pointer: promoting over their choice would lose it; the workflow decides.
      throw ApplicationFailure.nonRetryable(
        `cannot promote ${versionId}: active version of "${task}" is ${now.active ?? 'none'}, expected ${expectedActive ?? 'none'}`,
        STALE_ACTIVE_VERSION,
      );
    },

    async restorePrevious(task, { fromVersionId, actor, reason }) {
      // Null when already restored (a retried attempt), moved on by someone else, or nothing earlier is left.
      const restored = await store.rollBack(task, fromVersionId, { actor, reason });
      return change(await store.getPointers(task), restored !== null);
    },

    async rollBackCanary(task, { versionId, actor, reason }) {
      const ended = await store.rollBackCanary(task, versionId, { actor, reason });
      return change(await store.getPointers(task), ended);
    },

    async setCanary(task, { canary, actor, reason }) {
      if (canary !== null && !(await store.hasVersion(task, canary.versionId))) throw notFound(`program version of task "${task}"`, canary.versionId);
      await store.setCanary(task, canary, { actor, reason });
    },
  };
}
