import type { CatalogSection } from '../catalog.types.js';

/** Error codes of the xml area (ERR_XML_* unless noted). */
export const xmlCodes = {} as const satisfies CatalogSection;
