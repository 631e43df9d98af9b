import { choiceGrammar, renderPlain } from '../../src/core/lm/local-render';

describe('plain prompt rendering', () => {
  it('renders system text, then each demo as `user assistant` on one line, turns split by a blank line', () => {
    const text = renderPlain([
      { role: 'system', content: 'Classify the review.' },
      { role: 'user', content: 'Text: great phone\nSentiment:' },
      { role: 'assistant', content: 'positive' },
      { role: 'user', content: 'Text: broke in a day\nSentiment:' },
      { role: 'assistant', content: 'negative' },
      { role: 'user', content: 'Text: love it\nSentiment:' },
    ]);
    expect(text).toBe(
      'Classify the review.\n\nText: great phone\nSentiment: positive\n\nText: broke in a day\nSentiment: negative\n\nText: love it\nSentiment:',
    );
  });
});

describe('choice grammar', () => {
  it('admits exactly the labels, escaped, with an optional leading space for plain prompts', () => {
    expect(choiceGrammar(['positive', 'negative'], true)).toBe('root ::= " "? ("positive" | "negative")');
    expect(choiceGrammar(['say "hi"', 'a\\b'], false)).toBe('root ::= ("say \\"hi\\"" | "a\\\\b")');
  });
});
