/** Turns chat messages into the text a small local model continues (pure: no model needed). */
import type { ChatMessage } from './types';

/**
 * Plain completion rendering for base models (and for instruct models that do better without their
 * template): the system text, then each turn as `user assistant` on one line, turns separated by a
 * blank line. With the completion adapter this gives `Text: …\nSentiment: positive` demos and ends
 * on `Sentiment:`, so the model's continuation is the answer after a space.
 */
export function renderPlain(messages: readonly ChatMessage[]): string {
  const blocks: string[] = [];
  let turn: string | undefined;
  const flush = () => {
    if (turn !== undefined) blocks.push(turn);
    turn = undefined;
  };
  for (const message of messages) {
    const content = message.content.trim();
    if (message.role === 'system') {
      flush();
      if (content) blocks.push(content);
    } else if (message.role === 'user') {
      flush();
      turn = content;
    } else {
      turn = turn === undefined ? content : `${turn} ${content}`;
      flush();
    }
  }
  flush();
  return blocks.join('\n\n');
}

/** A plain-rendered model starts a new turn after a blank line, so that ends its answer. */
export const PLAIN_TURN_END = '\n\n';

/** GBNF string literal for `text`. */
function gbnfLiteral(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
}

/**
 * A grammar that admits exactly one of `labels`, optionally after one space (a plain prompt ends on
 * `Field:`, and the natural continuation is ` label`).
 */
export function choiceGrammar(labels: readonly string[], leadingSpace: boolean): string {
  const alternatives = labels.map(gbnfLiteral).join(' | ');
  return `root ::= ${leadingSpace ? '" "? ' : ''}(${alternatives})`;
}
