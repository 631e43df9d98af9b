export { defaultStorePath, openStore, storeLocation } from './open';
export { openSqliteStore, SqliteStore } from './sqlite';
export { isPostgresUrl, openPostgresStore, PostgresStore, redactUrl } from './postgres';
export { MIGRATIONS, migratePostgres, migrateSqlite, POSTGRES, SQLITE, type Dialect, type Migration } from './migrations';
export type * from './types';
export { versionMetrics, type MonitoringStore } from './monitoring';
