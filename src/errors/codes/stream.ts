import type { CatalogSection } from '../catalog.types.js';

/** Error codes of the stream area (ERR_STREAM_* unless noted). */
export const streamCodes = {} as const satisfies CatalogSection;
