export { defaultStorePath, openStore, Store, type StoreOptions } from './store';
export { MIGRATIONS, migrate } from './migrations';
export type * from './types';
