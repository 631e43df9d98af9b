/** Which store a process uses: `KKACHI_STORE_URL` when set, else the SQLite file under KKACHI_HOME. */
import { join, resolve } from 'node:path';
import { isPostgresUrl, openPostgresStore } from './postgres';
import { openSqliteStore } from './sqlite';
import type { Store, StoreOptions } from './types';

/** `<KKACHI_HOME or .kkachi>/kkachi.db`. */
export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(join(env.KKACHI_HOME || '.kkachi', 'kkachi.db'));
}

/** `KKACHI_STORE_URL` if set, else the default SQLite path. */
export function storeLocation(env: NodeJS.ProcessEnv = process.env): string {
  return env.KKACHI_STORE_URL || defaultStorePath(env);
}

/**
 * Opens (creating and migrating) the store at `location`: a `postgres://` / `postgresql://` URL, a
 * SQLite file path, or ':memory:'. Resolves once the schema is current.
 */
export async function openStore(location: string = storeLocation(), options: StoreOptions = {}): Promise<Store> {
  return isPostgresUrl(location) ? openPostgresStore(location, options) : openSqliteStore(location, options);
}
