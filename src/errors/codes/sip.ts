import type { CatalogSection } from '../catalog.types.js';

/** Error codes of the sip area (ERR_SIP_* unless noted). */
export const sipCodes = {} as const satisfies CatalogSection;
