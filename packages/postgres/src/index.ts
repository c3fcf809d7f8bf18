export type { PostgresStoreOptions } from './options.ts';
export { POSTGRES_DEFAULTS } from './options.ts';
export { PostgresStore, openPostgresStore } from './postgres-store.ts';
export { SCHEMA_VERSION } from './schema.ts';
