/** `kkachi task start --spec FILE`: validates a task spec and starts its learner workflow. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { checkTaskSpec } from '../../activities/preflight';
import { parseTaskSpec } from '../../core/task-spec';
import { stringFlag, writeJson, type Command } from '../command';
import { learnerWorkflowId } from '../../contract';
import { connectTemporal } from '../../temporal/client';

export function readSpecFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read --spec ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`--spec ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

export const taskStartCommand: Command = {
  path: ['task', 'start'],
  summary: "Start a task's learner workflow (id kkachi-learner-<name>) from a task spec.",
  options: {
    spec: { type: 'string', value: 'FILE', description: 'task spec JSON (see examples/sentiment.task.json)', required: true },
    json: { type: 'boolean', description: 'print the workflow id and run id as JSON' },
  },
  details: 'Same as: temporal workflow start --type learner --task-queue kkachi --workflow-id kkachi-learner-<name> --input-file FILE',
  async run({ values }, io) {
    const raw = readSpecFile(path.resolve(io.cwd, stringFlag(values, 'spec') as string));
    // Checked here too so a bad spec is an error at the prompt, not a failed workflow to go and find.
    const spec = parseTaskSpec(raw);
    // Data and model problems too, now rather than at the first cycle (the learner checks again on its worker).
    await checkTaskSpec(spec, { baseDir: io.cwd, env: io.env });
    const workflowId = learnerWorkflowId(spec.name);
    const session = await connectTemporal(io.env);
    try {
      // The raw JSON, exactly what `temporal workflow start --input-file` would send.
      const handle = await session.client.workflow.start('learner', { taskQueue: session.config.taskQueue, workflowId, args: [raw] });
      const started = { task: spec.name, workflowId, runId: handle.firstExecutionRunId, taskQueue: session.config.taskQueue };
      if (values.json) return writeJson(io, started);
      io.stdout.write(`started learner ${workflowId} (run ${started.runId}) on task queue ${started.taskQueue}\n`);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new Error(`the learner for task "${spec.name}" is already running (workflow ${workflowId})`);
      throw err;
    } finally {
      await session.close();
    }
  },
};
