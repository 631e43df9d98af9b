export { defaultStorePath, openStore, storeLocation } from './open';
export { openSqliteStore, SqliteStore, type StoreOptions } from './sqlite';
export { MIGRATIONS, migrateSqlite, POSTGRES, SQLITE, type Dialect, type Migration } from './migrations';
export type * from './types';
