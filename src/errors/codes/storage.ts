import type { CatalogSection } from '../catalog.types.js';

/** Error codes of the storage area (ERR_STORAGE_* unless noted). */
export const storageCodes = {
  ERR_STORAGE_DUPLICATE: { message: 'A record with this identifier already exists.', category: 'conflict' },
  ERR_STORAGE_UNKNOWN_CALL: {
    message: 'The record refers to a call that is not stored.',
    category: 'not_found',
  },
  ERR_STORAGE_IO: { message: 'The record store failed to read or write.', category: 'server' },
  ERR_STORAGE_MIGRATION_FAILED: {
    message: 'A schema migration of the record store failed.',
    category: 'server',
  },
  ERR_STORAGE_SCHEMA_TOO_NEW: {
    message: 'The database was written by a newer streamfork (its schema version is unknown to this one).',
    category: 'server',
  },
  ERR_STORAGE_UNREACHABLE: {
    message: 'The record store server (PostgreSQL) cannot be reached or refused the connection.',
    category: 'connectivity',
  },
  ERR_STORAGE_CLOSED: { message: 'The record store is closed.', category: 'server' },
} as const satisfies CatalogSection;
