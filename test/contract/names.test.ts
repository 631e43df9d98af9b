/** The contract's names are the ones scripts and servers use (scripts cannot import TypeScript). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cycleWorkflowId, KKACHI_SEARCH_ATTRIBUTES, learnerWorkflowId, rolloutWorkflowId, SEARCH_ATTRIBUTE_NAMES } from '../../src/contract';

const ROOT = join(__dirname, '../..');

describe('contract names', () => {
  it('scripts/temporal-dev.sh registers exactly the contract search attributes, as Keyword', () => {
    const script = readFileSync(join(ROOT, 'scripts/temporal-dev.sh'), 'utf8');
    const registered = [...script.matchAll(/--search-attribute\s+(\w+)=(\w+)/g)].map(([, name, type]) => `${name}=${type}`);
    expect(registered.sort()).toEqual(SEARCH_ATTRIBUTE_NAMES.map((name) => `${name}=Keyword`).sort());
    expect(KKACHI_SEARCH_ATTRIBUTES.every((key) => key.type === 'KEYWORD')).toBe(true);
  });

  it('derives child workflow ids from the parent id', () => {
    const learner = learnerWorkflowId('sentiment');
    expect(learner).toBe('kkachi-learner-sentiment');
    expect(rolloutWorkflowId(cycleWorkflowId(learner, 2))).toBe('kkachi-learner-sentiment-cycle-2-rollout');
  });
});
