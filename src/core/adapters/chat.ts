/**
 * DSPy's ChatAdapter format: fields framed by `[[ ## name ## ]]` markers, closed by
 * `[[ ## completed ## ]]`. Parsing falls back to a JSON object, then (single output) to the bare reply.
 */
import type { ChatMessage } from '../lm/types';
import type { ProgramSpec } from '../program';
import { coerceOutputs, parseSignature, type FieldSpec, type Signature } from '../signature';
import type { Fields } from '../types';
import type { Adapter, ParseResult } from './types';

const COMPLETED = '[[ ## completed ## ]]';
const MARKER_LINE = /^\[\[ ## (\w+) ## \]\]/;

const marker = (name: string): string => `[[ ## ${name} ## ]]`;

function typeLabel(field: FieldSpec): string {
  return field.type === 'enum' ? `one of: ${(field.choices ?? []).join(', ')}` : field.type;
}

function fieldList(fields: FieldSpec[]): string {
  return fields
    .map((f, i) => `${i + 1}. \`${f.name}\` (${typeLabel(f)})${f.description ? `: ${f.description}` : ''}`)
    .join('\n');
}

/** The constraint DSPy writes next to an output placeholder so the LM answers in a parseable form. */
function outputNote(field: FieldSpec): string {
  switch (field.type) {
    case 'string':
      return '';
    case 'number':
      return 'must be a single number';
    case 'boolean':
      return 'must be true or false';
    case 'enum':
      return `must exactly match (no extra characters) one of: ${(field.choices ?? []).join('; ')}`;
  }
}

/** DSPy's default objective when a program has no instructions yet. */
export function defaultInstructions(signature: Signature): string {
  const names = (fields: FieldSpec[]): string => fields.map((f) => `\`${f.name}\``).join(', ');
  return `Given the fields ${names(signature.inputs)}, produce the fields ${names(signature.outputs)}.`;
}

function systemMessage(signature: Signature, instructions: string): string {
  const placeholder = (f: FieldSpec, note: string): string =>
    `${marker(f.name)}\n{${f.name}}${note ? `        # note: the value you produce ${note}` : ''}`;
  const structure = [
    ...signature.inputs.map((f) => placeholder(f, '')),
    ...signature.outputs.map((f) => placeholder(f, outputNote(f))),
    COMPLETED,
  ].join('\n\n');
  const objective = (instructions.trim() || defaultInstructions(signature))
    .split('\n')
    .map((line) => `        ${line}`)
    .join('\n');
  return [
    `Your input fields are:\n${fieldList(signature.inputs)}\nYour output fields are:\n${fieldList(signature.outputs)}`,
    `All interactions will be structured in the following way, with the appropriate values filled in.\n\n${structure}`,
    `In adhering to this structure, your objective is: \n${objective}`,
  ].join('\n\n');
}

function renderFields(fields: FieldSpec[], values: Fields): string[] {
  return fields.filter((f) => values[f.name] !== undefined).map((f) => `${marker(f.name)}\n${String(values[f.name])}`);
}

function outputReminder(signature: Signature): string {
  const parts = signature.outputs.map((f) => {
    const note = outputNote(f);
    return `\`${marker(f.name)}\`${note ? ` (${note})` : ''}`;
  });
  return `Respond with the corresponding output fields, starting with the field ${parts.join(', then ')}, and then ending with the marker for \`${COMPLETED}\`.`;
}

/** The assistant text that answers with these outputs (fields absent from `outputs` are left out). */
export function renderOutputs(signature: Signature, outputs: Fields): string {
  return [...renderFields(signature.outputs, outputs), COMPLETED].join('\n\n');
}

/** Sections keyed by marker name; text before the first marker is dropped, the first occurrence wins. */
function markerSections(text: string): Map<string, string> {
  const sections = new Map<string, string>();
  let current: { name: string; lines: string[] } | null = null;
  const close = (): void => {
    if (current && !sections.has(current.name)) sections.set(current.name, current.lines.join('\n').trim());
  };
  for (const line of text.split(/\r?\n/)) {
    const match = MARKER_LINE.exec(line.trim());
    if (match) {
      close();
      const rest = line.trim().slice(match[0].length).trim();
      current = { name: match[1] ?? '', lines: rest ? [rest] : [] };
    } else {
      current?.lines.push(line);
    }
  }
  close();
  return sections;
}

/** JSON objects found in the text (balanced `{...}` that parse), in order of appearance. */
function* jsonObjects(text: string): Generator<Record<string, unknown>> {
  for (let start = text.indexOf('{'); start !== -1; start = text.indexOf('{', start + 1)) {
    const end = balancedEnd(text, start);
    if (end === -1) continue;
    try {
      const value: unknown = JSON.parse(text.slice(start, end + 1));
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) yield value as Record<string, unknown>;
    } catch {
      // not JSON after all: try the next opening brace
    }
  }
}

function balancedEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
    } else if (ch === '{') {
      depth++;
    } else if (ch === '}' && --depth === 0) {
      return i;
    }
  }
  return -1;
}

function pick(signature: Signature, source: { get(name: string): unknown }): Record<string, unknown> | null {
  const picked: Record<string, unknown> = {};
  for (const f of signature.outputs) {
    const value = source.get(f.name);
    if (value === undefined) return null;
    picked[f.name] = value;
  }
  return picked;
}

/** The first JSON object in the reply that carries every output field. */
function jsonAnswer(signature: Signature, text: string): Record<string, unknown> | null {
  for (const object of jsonObjects(text)) {
    const picked = pick(signature, { get: (name) => (Object.hasOwn(object, name) ? object[name] : undefined) });
    if (picked) return picked;
  }
  return null;
}

/** A lone answer without markers, e.g. `Positive.` for a one-label signature. */
function bareAnswer(signature: Signature, text: string): Record<string, unknown> | null {
  const only = signature.outputs.length === 1 ? signature.outputs[0] : undefined;
  const body = text.replace(COMPLETED, '');
  if (!only || body.includes('[[ ## ')) return null;
  const firstLine = body.split(/\r?\n/).find((line) => line.trim() !== '');
  return firstLine === undefined ? null : { [only.name]: firstLine.trim() };
}

function parseChatReply(signature: Signature, text: string): ParseResult {
  const sections = markerSections(text);
  const raw = pick(signature, sections) ?? jsonAnswer(signature, text) ?? bareAnswer(signature, text);
  if (raw) return coerceOutputs(signature, raw);
  const missing = signature.outputs.filter((f) => !sections.has(f.name)).map((f) => f.name);
  return {
    ok: false,
    message: `missing output field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: no ${missing.map(marker).join(' / ')} marker and no JSON object with ${missing.length > 1 ? 'them' : 'it'}`,
  };
}

export const chatAdapter: Adapter = {
  name: 'chat',
  format(program: ProgramSpec, inputs: Fields): ChatMessage[] {
    const signature = parseSignature(program.signature);
    const messages: ChatMessage[] = [{ role: 'system', content: systemMessage(signature, program.instructions) }];
    for (const demo of program.demos) {
      messages.push({ role: 'user', content: renderFields(signature.inputs, demo.inputs).join('\n\n') });
      messages.push({ role: 'assistant', content: renderOutputs(signature, demo.outputs) });
    }
    messages.push({
      role: 'user',
      content: [...renderFields(signature.inputs, inputs), outputReminder(signature)].join('\n\n'),
    });
    return messages;
  },
  parse: parseChatReply,
};
