/**
 * Kkachi's layer rules as data: which folders under src/ each folder may import, and which packages it
 * must not. eslint.config.mjs turns this table into `no-restricted-imports` errors; docs/ARCHITECTURE.md
 * shows the same table (test/architecture/layers.test.ts checks that they agree and that every folder
 * under src/ has a row). A folder not listed as allowed is forbidden, so a new folder must be added here.
 */

/**
 * Core files that are pure: they import only zod and each other (a lint rule holds them to it), so
 * workflows and the contract may use them inside the deterministic workflow sandbox.
 */
export const PURE_CORE = [
  'types',
  'fields',
  'errors',
  'signature',
  'task-spec',
  'metrics',
  'correction',
  'random',
  'size',
  'stats/decision',
  'stats/measures',
  'stats/classification',
  'stats/paired',
  'stats/percentile',
  'stats/canary',
  'stats/two-proportion',
  'stats/mcnemar',
  'stats/bootstrap',
  'optimizers/recommended',
];

/** Packages only the Temporal client and worker sides use. */
const TEMPORAL = '^@temporalio/';

/**
 * `imports`: the other src/ folders (or `worker` for src/worker.ts) the folder may import; `core:pure`
 * means only the PURE_CORE files. `packages`: regexes of package names it must not import.
 */
export const LAYERS = {
  core: {
    role: 'signatures, programs, adapters, LM providers and the model catalogue, metrics, evaluation, optimizers, A/B statistics, task spec',
    imports: [],
    packages: [TEMPORAL, '^better-sqlite3$', '^(node:)?(http|https|net)$'],
  },
  contract: {
    role: 'names and payloads shared by every side: workflow ids, search attributes, failure types, message and activity schemas',
    imports: ['core:pure'],
    packages: ['^(?!zod$|@temporalio/common$|@temporalio/workflow$)[^.]'],
  },
  store: { role: 'program versions, feedback, dataset snapshots, eval reports, registry pointers (SQLite)', imports: ['core'], packages: [TEMPORAL] },
  models: { role: 'the sha256-checked model installer and where models live (environment)', imports: ['core'], packages: [TEMPORAL, '^better-sqlite3$'] },
  activities: {
    role: 'call core + store; one activity = one retryable side effect',
    imports: ['contract', 'core', 'store', 'models'],
    packages: ['^@temporalio/(workflow|client|worker)$'],
  },
  workflows: {
    role: 'stage order, signals/updates/queries, timers, compensation; deterministic',
    imports: ['contract', 'core:pure'],
    packages: ['^(?!zod$|@temporalio/common$|@temporalio/workflow$)[^.]'],
  },
  temporal: { role: 'where the worker and clients find Temporal (environment, envconfig), payload encryption, how clients connect', imports: ['contract'], packages: ['^@temporalio/(workflow|activity)$'] },
  ui: { role: 'terminal rendering: progress bars, tables, task summaries', imports: ['core'], packages: [TEMPORAL, '^better-sqlite3$'] },
  server: { role: 'the embedded model behind an OpenAI-compatible HTTP API', imports: ['core'], packages: [TEMPORAL, '^better-sqlite3$'] },
  serving: {
    role: 'answers predictions with the active program and takes feedback (library and HTTP API)',
    imports: ['contract', 'core', 'store', 'models', 'temporal'],
    packages: ['^@temporalio/(workflow|worker|activity)$'],
  },
  examples: { role: 'runnable examples of the core library', imports: ['core'], packages: [TEMPORAL, '^better-sqlite3$'] },
  demo: {
    role: 'the main job and the other use cases: dev server, in-process worker, pipeline or learner, feedback simulator',
    imports: ['activities', 'contract', 'core', 'models', 'serving', 'server', 'store', 'temporal', 'ui', 'workflows', 'worker'],
    packages: [],
  },
  cli: {
    role: 'the `kkachi` command (edge: wiring, flags, process lifecycle)',
    imports: ['activities', 'contract', 'core', 'demo', 'models', 'serving', 'server', 'store', 'temporal', 'ui', 'workflows', 'worker'],
    packages: [],
  },
  worker: {
    role: '`src/worker.ts`: the worker process (edge)',
    imports: ['activities', 'contract', 'core', 'models', 'store', 'temporal', 'workflows'],
    packages: [],
  },
};
