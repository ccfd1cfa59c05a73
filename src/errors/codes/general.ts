import type { CatalogSection } from '../catalog.types.js';

export const generalCodes = {
  ERR_INTERNAL: { message: 'An unexpected internal error occurred.', category: 'server' },
  ERR_CONFIG_INVALID: { message: 'The server configuration is invalid.', category: 'invalid_request' },
  ERR_STATE_INVALID: { message: 'The operation is not allowed in the current state.', category: 'conflict' },
} as const satisfies CatalogSection;
