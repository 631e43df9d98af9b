/** Reading label log-probabilities from an endpoint's per-token top log-probabilities. */
import { choiceLogProbsFromTokens } from '../../src/core/lm/label-logprobs';
import type { GeneratedTokenLogProb } from '../../src/core/lm/types';

/** A generated token with its alternatives given as [text, probability]. */
const at = (token: string, p: number, top: Array<[string, number]> = []): GeneratedTokenLogProb => ({
  token,
  logProb: Math.log(p),
  top: top.map(([t, q]) => ({ token: t, logProb: Math.log(q) })),
});
const certain = (token: string) => at(token, 1, [[token, 1]]);
const logs = (...ps: number[]) => ps.map((p) => expect.closeTo(Math.log(p), 10));

describe('choiceLogProbsFromTokens', () => {
  it('reads each label from the first token, in the order of the choices', () => {
    const tokens = [at('negative', 0.6, [['negative', 0.6], ['positive', 0.3], ['neutral', 0.05]])];
    expect(choiceLogProbsFromTokens(tokens, ['positive', 'negative', 'neutral'])).toEqual(logs(0.3, 0.6, 0.05));
  });

  it('takes a token that is a prefix of one label, any case and spacing, and the likeliest of several', () => {
    const tokens = [at(' Pos', 0.5, [[' Pos', 0.5], ['positive', 0.2], [' NEG', 0.15], ['Negative', 0.1], [' ', 0.05]])];
    expect(choiceLogProbsFromTokens(tokens, ['positive', 'negative'])).toEqual(logs(0.5, 0.15));
  });

  it('ignores tokens that are no label prefix, or a prefix of two labels', () => {
    const tokens = [at('sp', 0.4, [['sp', 0.4], ['s', 0.2], ['spam', 0.1], ['spo', 0.1], ['the', 0.1], ['ha', 0.05]])];
    // "sp" and "s" could start spam or spoof, so they count for neither.
    expect(choiceLogProbsFromTokens(tokens, ['spam', 'ham', 'spoof'])).toEqual(logs(0.1, 0.05, 0.1));
    expect(choiceLogProbsFromTokens(tokens, ['spam', 'ham'])).toEqual(logs(0.4, 0.05));
  });

  it('is undefined when a missing label starts with a token it shares with another', () => {
    const tokens = [at('very', 0.9, [['very', 0.9], ['Very', 0.05], ['neutral', 0.01]]), certain(' positive')];
    expect(choiceLogProbsFromTokens(tokens, ['very positive', 'very negative'])).toBeUndefined();
    expect(choiceLogProbsFromTokens(tokens, ['very positive', 'very negative', 'neutral'])).toBeUndefined();
  });

  it('bounds a label outside the top tokens by the least top probability or the mass they leave', () => {
    const spread = [at('positive', 0.7, [['positive', 0.7], ['Positive', 0.1], ['the', 0.05]])];
    expect(choiceLogProbsFromTokens(spread, ['positive', 'negative'])).toEqual(logs(0.7, 0.05));
    const peaked = [at('positive', 0.95, [['positive', 0.95], ['Positive', 0.04], ['the', 0.008]])];
    expect(choiceLogProbsFromTokens(peaked, ['positive', 'negative'])).toEqual(logs(0.95, 0.002));
  });

  it('is undefined when no label is among the top tokens, or the endpoint sent no alternatives', () => {
    expect(choiceLogProbsFromTokens([at('The', 0.5, [['The', 0.5], ['I', 0.2]])], ['positive', 'negative'])).toBeUndefined();
    expect(choiceLogProbsFromTokens([at('positive', 0.9)], ['positive', 'negative'])).toBeUndefined();
  });

  it('is undefined without tokens (an endpoint that sent no logprobs content)', () => {
    expect(choiceLogProbsFromTokens([], ['positive', 'negative'])).toBeUndefined();
  });

  it('reads the answer after a chat-adapter header, not the header', () => {
    const header = ['[[', ' ##', ' sentiment', ' ##', ' ]]'].map(certain);
    const tokens = [...header, at('\nnegative', 0.8, [['\nnegative', 0.8], ['\npositive', 0.2]]), certain('\n\n[['), certain(' ##')];
    expect(choiceLogProbsFromTokens(tokens, ['positive', 'negative'])).toEqual(logs(0.2, 0.8));
  });

  it('reads the first token when the label token came without alternatives', () => {
    const tokens = [at(' 1', 0.4, [[' 1', 0.4], [' Positive', 0.3], [' negative', 0.1]]), certain('00%'), at(' positive', 0.9)];
    expect(choiceLogProbsFromTokens(tokens, ['positive', 'negative'])).toEqual(logs(0.3, 0.1));
  });

  it('finds the answer only where a label is a whole word, else reads the first token', () => {
    // "unyes" and "Not" hold a label inside a word: no answer there, so the first token's alternatives are read.
    const inside = [at('un', 0.5, [['un', 0.5], ['yes', 0.3], ['no', 0.2]]), at('yes', 0.9, [['yes', 0.9], ['no', 0.1]])];
    expect(choiceLogProbsFromTokens(inside, ['yes', 'no'])).toEqual(logs(0.3, 0.2));
    const notSure = [at('Not', 0.5, [['Not', 0.5], ['Yes', 0.3], ['No', 0.2]]), certain(' sure')];
    expect(choiceLogProbsFromTokens(notSure, ['yes', 'no'])).toEqual(logs(0.3, 0.2));
  });
});
