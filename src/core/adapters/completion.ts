/**
 * Plain `Name: value` prompts for small local models, which cannot follow field markers:
 *   user      "Review: great phone\nSentiment:"   assistant "positive"
 * The first output is the bare reply; further outputs follow as `Name: value` lines.
 */
import type { ChatMessage } from '../lm/types';
import type { ProgramSpec } from '../program';
import { coerceOutputs, parseSignature, type FieldSpec, type Signature } from '../signature';
import type { Fields } from '../types';
import { defaultInstructions } from './chat';
import type { Adapter, ParseResult } from './types';

/** `question_text` → `Question Text`. */
export function fieldLabel(name: string): string {
  return name
    .split('_')
    .filter((part) => part !== '')
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join(' ');
}

function systemMessage(signature: Signature, instructions: string): string {
  const enumLines = signature.outputs
    .filter((f) => f.type === 'enum')
    .map((f) => `${fieldLabel(f.name)} must be one of: ${(f.choices ?? []).join(', ')}.`);
  return [instructions.trim() || defaultInstructions(signature), ...enumLines].join('\n');
}

function prompt(signature: Signature, inputs: Fields): string {
  const [first] = signature.outputs;
  const lines = signature.inputs
    .filter((f) => inputs[f.name] !== undefined)
    .map((f) => `${fieldLabel(f.name)}: ${String(inputs[f.name])}`);
  return [...lines, `${fieldLabel(first?.name ?? '')}:`].join('\n');
}

function answer(signature: Signature, outputs: Fields): string {
  const [first, ...rest] = signature.outputs;
  const head = first && outputs[first.name] !== undefined ? String(outputs[first.name]) : '';
  const tail = rest.filter((f) => outputs[f.name] !== undefined).map((f) => `${fieldLabel(f.name)}: ${String(outputs[f.name])}`);
  return [head, ...tail].join('\n');
}

/** Splits `Name: value` off a line when Name is one of the output labels. */
function labelledLine(fields: FieldSpec[], line: string): { field: FieldSpec; value: string } | null {
  const colon = line.indexOf(':');
  if (colon === -1) return null;
  const label = line.slice(0, colon).trim().toLowerCase();
  const field = fields.find((f) => fieldLabel(f.name).toLowerCase() === label || f.name.toLowerCase() === label);
  return field ? { field, value: line.slice(colon + 1).trim() } : null;
}

function parseCompletionReply(signature: Signature, text: string): ParseResult {
  const [first] = signature.outputs;
  const raw: Record<string, unknown> = {};
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  lines.forEach((line, index) => {
    const labelled = labelledLine(signature.outputs, line);
    if (labelled) {
      raw[labelled.field.name] ??= labelled.value;
    } else if (index === 0 && first) {
      // The reply continues the prompt `Sentiment:`, so its first unlabelled line is the first output.
      raw[first.name] = line;
    }
  });
  const missing = signature.outputs.filter((f) => raw[f.name] === undefined).map((f) => f.name);
  if (missing.length > 0) return { ok: false, message: `missing output field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` };
  return coerceOutputs(signature, raw);
}

export const completionAdapter: Adapter = {
  name: 'completion',
  format(program: ProgramSpec, inputs: Fields): ChatMessage[] {
    const signature = parseSignature(program.signature);
    const messages: ChatMessage[] = [{ role: 'system', content: systemMessage(signature, program.instructions) }];
    for (const demo of program.demos) {
      messages.push({ role: 'user', content: prompt(signature, demo.inputs) });
      messages.push({ role: 'assistant', content: answer(signature, demo.outputs) });
    }
    messages.push({ role: 'user', content: prompt(signature, inputs) });
    return messages;
  },
  parse: parseCompletionReply,
};
