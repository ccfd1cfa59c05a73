import type { CatalogSection } from '../catalog.types.js';

/** Error codes of the media area (ERR_MEDIA_* unless noted). */
export const mediaCodes = {} as const satisfies CatalogSection;
