import type { CatalogSection } from '../catalog.types.js';

/** Error codes of the rtp area (ERR_RTP_* unless noted). */
export const rtpCodes = {} as const satisfies CatalogSection;
