/** `kkachi task feedback`: sends one feedback record to a learner (signal, or the validating update with --wait, sent again while the learner is busy). */
import { feedbackSignal, type FeedbackPayload } from '../../contract';
import { DEFAULT_FEEDBACK_BYTES, MAX_FEEDBACK_BYTES } from '../../core/task-spec';
import { integerFlag, jsonFlag, stringFlag, UsageError, writeJson, type Command, type Values } from '../command';
import { assertFeedbackSize, submitFeedback } from '../../temporal/feedback';
import { updateFailureMessage, withLearner } from '../temporal-client';

function objectFlag(values: Values, name: string): FeedbackPayload['input'] {
  const value = jsonFlag(values, name);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`--${name} must be a JSON object, e.g. '{"sentiment":"positive"}'`);
  return value as FeedbackPayload['input'];
}

export const taskFeedbackCommand: Command = {
  path: ['task', 'feedback'],
  summary: 'Send feedback on one prediction: a correction when --correct differs from --predicted, else a confirmation.',
  options: {
    task: { type: 'string', value: 'NAME', description: 'task name', required: true },
    'prediction-id': { type: 'string', value: 'ID', description: 'id of the prediction (idempotency key)', required: true },
    input: { type: 'string', value: 'JSON', description: "the prediction's input fields, e.g. '{\"text\":\"Great phone\"}'", required: true },
    predicted: { type: 'string', value: 'JSON', description: 'what the program answered', required: true },
    correct: { type: 'string', value: 'JSON', description: 'the right answer', required: true },
    version: { type: 'string', value: 'ID', description: 'version that made the prediction (default: the active one)' },
    'max-bytes': { type: 'string', value: 'N', description: `largest record in bytes, as the task spec's limits.feedbackBytes (default ${DEFAULT_FEEDBACK_BYTES})` },
    wait: { type: 'boolean', description: 'use the submitFeedback update: wait for the ack or the validation error' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  async run({ values }, io) {
    const task = stringFlag(values, 'task') as string;
    const payload: FeedbackPayload = {
      predictionId: stringFlag(values, 'prediction-id') as string,
      input: objectFlag(values, 'input'),
      predicted: objectFlag(values, 'predicted'),
      correct: objectFlag(values, 'correct'),
    };
    const version = stringFlag(values, 'version');
    if (version) payload.versionId = version;
    // Checked before sending: a signal's refusal would only show in the learner's `rejected` counter.
    const maxBytes = integerFlag(values, 'max-bytes', { min: 1_024, max: MAX_FEEDBACK_BYTES }) ?? DEFAULT_FEEDBACK_BYTES;
    assertFeedbackSize(payload, maxBytes);

    const result = await withLearner(io.env, task, async (handle) => {
      if (!values.wait) {
        await handle.signal(feedbackSignal, payload);
        return { sent: 'signal' as const, predictionId: payload.predictionId };
      }
      try {
        return { sent: 'update' as const, ...(await submitFeedback(handle, payload, { maxBytes })) };
      } catch (err) {
        throw new Error(`feedback rejected: ${updateFailureMessage(err)}`);
      }
    });
    if (values.json) return writeJson(io, result);
    if (result.sent === 'signal') return void io.stdout.write(`feedback ${result.predictionId} signalled to task "${task}"\n`);
    io.stdout.write(`feedback ${result.predictionId} ${result.duplicate ? 'was a duplicate (already received)' : 'accepted'}\n`);
  },
};
