/** Workflow ids and the task queue: how every side finds a task's workflows. */

/** The task queue every Kkachi workflow and activity runs on unless `KKACHI_TASK_QUEUE` says otherwise. */
export const DEFAULT_TASK_QUEUE = 'kkachi';

/** A task's long-lived learner (one per task; starting it again finds the running one). */
export const learnerWorkflowId = (task: string): string => `kkachi-learner-${task}`;

/** The optimization cycle a learner starts as its child. */
export const cycleWorkflowId = (learnerWorkflowId: string, cycle: number): string => `${learnerWorkflowId}-cycle-${cycle}`;

/** The rollout a cycle or the pipeline starts as its child (one per parent). */
export const rolloutWorkflowId = (parentWorkflowId: string): string => `${parentWorkflowId}-rollout`;
