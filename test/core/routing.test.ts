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
import { renderOutputs } from '../../src/core/adapters/chat';
import { createProgram, predict, studentOf, type ProgramSpec } from '../../src/core/program';
import { routerOf } from '../../src/core/router';
import { parseSignature } from '../../src/core/signature';
import type { Example } from '../../src/core/types';
import { FORUM_SIGNATURE, keywordOf, keywordOracle, makeForumExamples } from '../support/keyword-world';
import { startLMDouble, type DoubleRequest, type LMDouble } from '../support/lm-double';

const metric = labelAccuracy('sentiment');
const student = createProgram(FORUM_SIGNATURE, 'Classify the sentiment of the post.');
const forumOf = (program: ProgramSpec) => [...new Set(program.demos.map((d) => d.inputs.forum))];

/**
 * For the classifier: each forum's posts end with a marker phrase, and the router's classifier (a
 * prompt asking for the forum) is answered like the keyword world answers sentiment — the forum of a
 * demo with the query's marker, else "shop" — while every other request goes to the keyword oracle.
 */
const MARKERS: Record<string, string> = { shop: 'verified purchase', ironic: 'as if', news: 'press release' };
const CLASSIFIER_INSTRUCTIONS = 'Name the forum of the request.';
const classifierSignature = parseSignature('text -> forum: shop|ironic|news');
const markerOf = (text: string) => Object.values(MARKERS).find((m) => text.includes(`(${m})`));
const marked = (examples: Example[], forum?: string): Example[] =>
  examples.map((e) => ({ ...e, inputs: { forum: forum ?? String(e.inputs.forum), text: `${e.inputs.text} (${MARKERS[String(e.inputs.forum)]})` } }));

function forumWorld(): (req: DoubleRequest) => string {
  const sentiment = keywordOracle();
  return (req) => {
    if (!req.messages.some((m) => m.role === 'system' && m.content.includes(CLASSIFIER_INSTRUCTIONS))) return sentiment(req);
    const queryIndex = req.messages.map((m) => m.role).lastIndexOf('user');
    const marker = markerOf(req.messages[queryIndex]?.content ?? '');
    const demo = req.messages.findIndex((m, i) => i < queryIndex && m.role === 'user' && marker !== undefined && markerOf(m.content) === marker);
    const forum = /\b(shop|ironic|news)\b/.exec(req.messages[demo + 1]?.content ?? '')?.[1];
    return renderOutputs(classifierSignature, { forum: demo >= 0 && forum ? forum : 'shop' });
  };
}

describe('routing (keyword world, two forums)', () => {
  let double: LMDouble;
  let lm: OpenAICompatibleLM;
  const trainset = makeForumExamples(64, 1);
  const holdout = makeForumExamples(60, 2);

  beforeAll(async () => {
    double = await startLMDouble(forumWorld());
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
    const router = routerOf({ field: 'forum' }, shop, { ironic });
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

  it('with a classifier, a request whose forum names no route still reaches its forum’s route', async () => {
    const optimizer = { name: 'BootstrapFewShot', config: { maxBootstrappedDemos: 4, maxLabeledDemos: 16 } };
    const train = marked(trainset);
    const unnamed = marked(holdout, 'unknown');
    const byClassifier = await createOptimizer({ name: 'Routing', config: { field: 'forum', optimizer, classifier: {} } }).compile(student, { trainset: train, lm, metric, seed: 0 });
    const byField = await createOptimizer({ name: 'Routing', config: { field: 'forum', optimizer } }).compile(student, { trainset: train, lm, metric, seed: 0 });
    const classifier = byClassifier.program.router?.classifier;
    expect(classifier?.signature).toBe('text -> forum: shop|ironic');
    // Balanced labelled demos by default: both forums shown, so neither is the classifier's only answer.
    expect(new Set(classifier?.demos.map((d) => d.outputs.forum))).toEqual(new Set(['shop', 'ironic']));

    const fieldReport = await evaluate(byField.program, unnamed, { lm, metric, concurrency: 1 });
    double.reset();
    const classifierReport = await evaluate(byClassifier.program, unnamed, { lm, metric, concurrency: 1 });
    // Two calls per request, the classifier's first; the route's demos are all of the request's true
    // forum, and the route sees the request as from that forum (as the examples it was compiled on).
    expect(double.requests).toHaveLength(2 * unnamed.length);
    for (const [i, example] of holdout.entries()) {
      const userTurns = (double.requests[2 * i + 1]?.messages ?? []).filter((m) => m.role === 'user');
      expect(userTurns.slice(0, -1).every((m) => m.content.includes(`(${MARKERS[String(example.inputs.forum)]})`))).toBe(true);
      expect(userTurns.at(-1)?.content).toContain(String(example.inputs.forum));
      expect(userTurns.at(-1)?.content).not.toContain('unknown');
    }
    expect(classifierReport.meanScore - fieldReport.meanScore).toBeGreaterThan(0.2);

    // A request that names its forum is routed by the field: one call, no classifier.
    double.reset();
    await evaluate(byClassifier.program, marked(holdout).slice(0, 4), { lm, metric, concurrency: 1 });
    expect(double.requests).toHaveLength(4);
  });

  it('a classifier answer without a route, or a failed classifier, gets the router’s own prompt, and its LM work counts', async () => {
    const demo = (forum: string, text: string, sentiment: string) => ({ inputs: { forum, text }, outputs: { sentiment } });
    const classifierDemos = Object.entries(MARKERS).map(([forum, marker]) => ({ inputs: { text: `a post (${marker})` }, outputs: { forum } }));
    const classifier = { ...createProgram(classifierSignature.source, CLASSIFIER_INSTRUCTIONS), demos: classifierDemos };
    const shop = { ...student, demos: [demo('shop', 'the zorp', 'positive')] };
    const ironic = { ...student, demos: [demo('ironic', 'the zorp', 'negative')] };
    const router = routerOf({ classifier }, shop, { ironic });
    const answer = async (text: string, program = router) => {
      const p = await predict(program, { forum: '', text }, lm);
      return { sentiment: p.ok ? p.outputs.sentiment : p.error.message, promptTokens: p.promptTokens };
    };
    expect((await answer('a zorp (as if)')).sentiment).toBe('negative');
    expect((await answer('a zorp (press release)')).sentiment).toBe('positive'); // "news": no route
    const routed = await answer('a zorp (as if)');
    const alone = await predict(ironic, { forum: '', text: 'a zorp (as if)' }, lm);
    expect(routed.promptTokens).toBeGreaterThan(alone.promptTokens);
    // A classifier whose reply does not parse (the double answers "shop|ironic|news" labels only): fallback.
    const mute = routerOf({ classifier: { ...classifier, signature: 'text -> forum: ironic|other' } }, shop, { ironic });
    expect((await answer('a zorp (as if)', mute)).sentiment).toBe('negative');
    double.reset();
    expect((await answer('a zorp (verified purchase)', mute)).sentiment).toBe('positive');
    expect(double.requests).toHaveLength(2);
  });

  it('is an artifact like any other; bad routing configs name the field', () => {
    const program = routerOf({ field: 'forum' }, student, { shop: { ...student, instructions: 'Shop posts.' } });
    const artifact = createArtifact(program, { parentId: null, datasetId: null, optimizer: null });
    expect(parseArtifact(JSON.parse(JSON.stringify(artifact)))).toEqual(artifact);
    expect(() => createArtifact({ ...program, router: { field: 'channel', routes: {} } }, { parentId: null, datasetId: null, optimizer: null })).toThrow(
      expect.objectContaining({ field: 'program.router.field', message: expect.stringMatching(/"channel" is not an input/) }),
    );
    const classifier = createProgram('text -> forum: shop|ironic', CLASSIFIER_INSTRUCTIONS);
    const classified = routerOf({ classifier }, student, { shop: { ...student, instructions: 'Shop posts.' } });
    const classifiedArtifact = createArtifact(classified, { parentId: null, datasetId: null, optimizer: null });
    expect(parseArtifact(JSON.parse(JSON.stringify(classifiedArtifact)))).toEqual(classifiedArtifact);
    expect(() => createArtifact(routerOf({ classifier: { ...classifier, signature: 'title -> forum' } }, student, {}), { parentId: null, datasetId: null, optimizer: null })).toThrow(
      expect.objectContaining({ field: 'program.router.classifier.signature', message: expect.stringMatching(/title are not inputs/) }),
    );
    expect(() => createArtifact(routerOf({ classifier: { ...classifier, signature: 'text -> forum, topic' } }, student, {}), { parentId: null, datasetId: null, optimizer: null })).toThrow(
      expect.objectContaining({ field: 'program.router.classifier.signature' }),
    );
    expect(() => createOptimizer({ name: 'Routing', config: { field: 'forum', classifier: { optimizer: { name: 'Ensemble' } } } })).toThrow(
      expect.objectContaining({ field: 'config.classifier.optimizer.name' }),
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
