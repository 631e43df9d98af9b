/**
 * What Temporal knows about a task's learner, for `GET /v1/tasks/:task` and the dashboard: its
 * `status` query (cycles, gate verdicts, counters) and, while a cycle runs, that cycle's stage and
 * progress (`cycleProgress`: search attribute + last heartbeat). Bounded by the serving deadline; an
 * unreachable Temporal or a missing learner is reported, never an error of the page.
 */
import { learnerWorkflowId, statusQuery, type LearnerStatus } from '../contract';
import { cycleProgress, type CycleProgress } from '../temporal/cycle-progress';
import type { ServingContext } from './context';

export interface LearnerView {
  learner: LearnerStatus | null;
  /** Why `learner` is null. */
  learnerError?: string;
  /** The running cycle's stage and progress; null when no cycle runs (or it could not be read). */
  progress: CycleProgress | null;
}

export async function learnerView(ctx: Pick<ServingContext, 'temporal' | 'temporalTimeoutMs'>, task: string): Promise<LearnerView> {
  const client = ctx.temporal;
  if (!client) return { learner: null, learnerError: 'serving runs without Temporal', progress: null };
  const learnerId = learnerWorkflowId(task);
  try {
    return await client.connection.withDeadline(Date.now() + ctx.temporalTimeoutMs, async () => {
      const learner = await client.workflow.getHandle(learnerId).query(statusQuery);
      const running = learner.cycles.find((c) => c.decision === 'running');
      return { learner, progress: running ? await cycleProgress(client, learnerId, running.cycle) : null };
    });
  } catch (err) {
    return { learner: null, learnerError: (err as Error).message.split('\n')[0] as string, progress: null };
  }
}
