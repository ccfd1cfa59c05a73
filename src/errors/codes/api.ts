import type { CatalogSection } from '../catalog.types.js';

/** Error codes of the api area (ERR_API_* unless noted). */
export const apiCodes = {} as const satisfies CatalogSection;
