/**
 * The store back ends every store test runs against. Each backend hands out fresh, empty stores and
 * shared locations (two handles on one store, as two processes would have).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store, type StoreOptions } from '../../src/store';
import { startPostgres } from './postgres';

export interface StoreBackend {
  name: string;
  /** A new empty store location: a SQLite file path or a PostgreSQL URL. */
  location(): Promise<string>;
  /** Removes everything the backend created. */
  stop(): Promise<void>;
}

export function sqliteBackend(): StoreBackend {
  const dir = mkdtempSync(join(tmpdir(), 'kkachi-store-'));
  let n = 0;
  return {
    name: 'sqlite',
    location: async () => join(dir, `k${++n}.db`),
    stop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A throwaway PostgreSQL cluster; each location is a fresh database in it. */
export async function postgresBackend(): Promise<StoreBackend> {
  const cluster = await startPostgres();
  return { name: 'postgres', location: () => cluster.database(), stop: () => cluster.stop() };
}

/** Every back end, by name, for `describe.each`. */
export const BACKENDS: ReadonlyArray<[string, () => Promise<StoreBackend>]> = [
  ['sqlite', async () => sqliteBackend()],
  ['postgres', postgresBackend],
];

/**
 * Registers beforeAll/afterAll for a backend inside a `describe`, and returns an opener for fresh
 * stores that are closed after each test.
 */
export function useBackend(start: () => Promise<StoreBackend>): {
  backend: () => StoreBackend;
  fresh: (options?: StoreOptions) => Promise<Store>;
} {
  let backend: StoreBackend | undefined;
  const open: Store[] = [];
  beforeAll(async () => {
    backend = await start();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  afterAll(async () => backend?.stop());
  const current = () => {
    if (!backend) throw new Error('store backend not started');
    return backend;
  };
  return {
    backend: current,
    async fresh(options) {
      const store = await openStore(await current().location(), options);
      open.push(store);
      return store;
    },
  };
}
