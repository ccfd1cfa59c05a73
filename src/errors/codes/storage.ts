import type { CatalogSection } from '../catalog.types.js';

/** Error codes of the storage area (ERR_STORAGE_* unless noted). */
export const storageCodes = {} as const satisfies CatalogSection;
