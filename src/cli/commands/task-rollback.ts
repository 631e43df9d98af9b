/** `kkachi task rollback`: the learner's `rollback` update — restores the last version that served well before the active one. */
import { stringFlag, writeJson, type Command } from '../command';
import { updateFailureMessage, withLearner } from '../temporal-client';
import { shortId } from '../../ui/table';
import { rollbackUpdate } from '../../contract';

export const taskRollbackCommand: Command = {
  path: ['task', 'rollback'],
  summary: "Roll a task back: end a live canary, or else restore the last version that served well before the active one (the learner's rollback update).",
  options: {
    task: { type: 'string', value: 'NAME', description: 'task name', required: true },
    reason: { type: 'string', value: 'TEXT', description: 'why (recorded in the registry history)', required: true },
    json: { type: 'boolean', description: 'print the pointer change as JSON' },
  },
  async run({ values }, io) {
    const task = stringFlag(values, 'task') as string;
    const reason = stringFlag(values, 'reason') as string;
    const change = await withLearner(io.env, task, async (handle) => {
      try {
        return await handle.executeUpdate(rollbackUpdate, { args: [{ reason }] });
      } catch (err) {
        throw new Error(`rollback refused: ${updateFailureMessage(err)}`);
      }
    });
    if (values.json) return writeJson(io, change);
    if (change.canaryRolledBack) {
      io.stdout.write(`task "${task}": canary ${shortId(change.canaryRolledBack)} rolled back; all traffic on active ${shortId(change.active)}\n`);
      return;
    }
    io.stdout.write(
      change.changed
        ? `task "${task}" rolled back: active ${shortId(change.active)}; a further rollback would restore ${change.previous ? shortId(change.previous) : 'nothing'}\n`
        : `task "${task}": nothing changed, active is ${shortId(change.active)}\n`,
    );
  },
};
