/**
 * Router programs and the Routing optimizer in the keyword world with two forums: on "ironic" every
 * keyword means the opposite of what it means on "shop", so one prompt's demos contradict each other
 * while a route per forum shows only demos that agree with the request's forum.
 */
import { createArtifact, parseArtifact } from '../../src/core/artifact';
import { ValidationError } from '../../src/core/errors';
import { evaluate } from '../../src/core/evaluate';
import { OpenAICompatibleLM } from '../../src/core/lm/openai';
import { labelAccuracy } from '../../src/core/metrics';
import { BootstrapFewShot, createOptimizer } from '../../src/core/optimizers';
import { createProgram, predict, studentOf, type ProgramSpec } from '../../src/core/program';
import { routerOf } from '../../src/core/router';
import { FORUM_SIGNATURE, keywordOf, keywordOracle, makeForumExamples } from '../support/keyword-world';
import { startLMDouble, type LMDouble } from '../support/lm-double';

const metric = labelAccuracy('sentiment');
const student = createProgram(FORUM_SIGNATURE, 'Classify the sentiment of the post.');
const forumOf = (program: ProgramSpec) => [...new Set(program.demos.map((d) => d.inputs.forum))];

describe('routing (keyword world, two forums)', () => {
  let double: LMDouble;
  let lm: OpenAICompatibleLM;
  const trainset = makeForumExamples(64, 1);
  const holdout = makeForumExamples(60, 2);

  beforeAll(async () => {
    double = await startLMDouble(keywordOracle());
    lm = new OpenAICompatibleLM({ model: 'keyword-oracle', baseURL: double.baseURL, retry: 'off' });
  });
  afterAll(() => double.close());
  beforeEach(() => double.reset());

  it('compiles a route per forum from that forum alone, and routed beats one program over both', async () => {
    const optimizer = { name: 'BootstrapFewShot', config: { maxBootstrappedDemos: 4, maxLabeledDemos: 16 } };
    const routed = await createOptimizer({ name: 'Routing', config: { field: 'forum', optimizer } }).compile(student, { trainset, lm, metric, seed: 0 });
    const single = await new BootstrapFewShot(optimizer.config).compile(student, { trainset, lm, metric, seed: 0 });
    const routes = routed.program.router?.routes ?? {};
    expect(Object.keys(routes).sort()).toEqual(['ironic', 'shop']);
    for (const [forum, route] of Object.entries(routes)) expect(forumOf({ ...route, signature: FORUM_SIGNATURE })).toEqual([forum]);
    // The router's own prompt is what the whole trainset compiles to: it answers unrouted forums.
    expect(forumOf(routed.program).sort()).toEqual(['ironic', 'shop']);

    const singleReport = await evaluate(single.program, holdout, { lm, metric, concurrency: 1 });
    double.reset();
    const routedReport = await evaluate(routed.program, holdout, { lm, metric, concurrency: 1 });
    // Each request saw only demos of its own forum.
    for (const [i, request] of double.requests.entries()) {
      const demoTurns = request.messages.filter((m) => m.role === 'user').slice(0, -1);
      expect(demoTurns.length).toBeGreaterThan(0);
      expect(demoTurns.every((m) => m.content.includes(String(holdout[i]?.inputs.forum)))).toBe(true);
    }
    // Wherever its forum's route shows the request's keyword, the routed answer is right.
    const known = (forum: unknown) => new Set((routes[String(forum)]?.demos ?? []).map((d) => keywordOf(d.inputs.text)));
    const coveredRows = routedReport.rows.filter((_, i) => known(holdout[i]?.inputs.forum).has(keywordOf(holdout[i]?.inputs.text)));
    expect(coveredRows.length).toBeGreaterThan(holdout.length / 2);
    expect(coveredRows.every((r) => r.passed)).toBe(true);
    expect(routedReport.meanScore - singleReport.meanScore).toBeGreaterThan(0.2);
  });

  it('a forum without a route gets the router’s own prompt; a route answers with the router’s signature', async () => {
    const demo = (forum: string, text: string, sentiment: string) => ({ inputs: { forum, text }, outputs: { sentiment } });
    const shop = { ...student, demos: [demo('shop', 'the zorp', 'positive')] };
    const ironic = { ...student, demos: [demo('ironic', 'the zorp', 'negative')] };
    const router = routerOf('forum', shop, { ironic });
    const answer = async (forum: string) => {
      const p = await predict(router, { forum, text: 'a zorp' }, lm);
      return p.ok ? p.outputs.sentiment : p.error.message;
    };
    expect(await answer('ironic')).toBe('negative');
    expect(await answer('shop')).toBe('positive');
    expect(await answer('elsewhere')).toBe('positive');
    expect(router.router?.routes.ironic).not.toHaveProperty('signature');
    expect(studentOf(router)).not.toHaveProperty('router');
  });

  it('is an artifact like any other; bad routing configs name the field', () => {
    const program = routerOf('forum', student, { shop: { ...student, instructions: 'Shop posts.' } });
    const artifact = createArtifact(program, { parentId: null, datasetId: null, optimizer: null });
    expect(parseArtifact(JSON.parse(JSON.stringify(artifact)))).toEqual(artifact);
    expect(() => createArtifact({ ...program, router: { field: 'channel', routes: {} } }, { parentId: null, datasetId: null, optimizer: null })).toThrow(
      expect.objectContaining({ field: 'program.router.field', message: expect.stringMatching(/"channel" is not an input/) }),
    );
    expect(() => createOptimizer({ name: 'Routing', config: {} })).toThrow(expect.objectContaining({ field: 'config.field' }));
    expect(() => createOptimizer({ name: 'Routing', config: { field: 'forum', optimizer: { name: 'Routing' } } })).toThrow(ValidationError);
    expect(() => createOptimizer({ name: 'Routing', config: { field: 'forum', routes: { shop: { name: 'KNNFewShot', config: { k: 0 } } } } })).toThrow(
      expect.objectContaining({ field: 'config.routes.shop.config.k' }),
    );
  });

  it('refuses a routing field that is not an input', async () => {
    await expect(createOptimizer({ name: 'Routing', config: { field: 'channel' } }).compile(student, { trainset, lm, metric, seed: 0 })).rejects.toThrow(
      expect.objectContaining({ field: 'config.field' }),
    );
  });
});
