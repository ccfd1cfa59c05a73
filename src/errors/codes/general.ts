import type { CatalogSection } from '../catalog.types.js';

export const generalCodes = {
  ERR_INTERNAL: { message: 'An unexpected internal error occurred.', category: 'server' },
  ERR_CONFIG_INVALID: { message: 'The server configuration is invalid.', category: 'invalid_request' },
  ERR_LISTEN_FAILED: {
    message:
      'A listening socket (SIP or REST API) could not be opened: port in use, no permission, or an address this host lacks.',
    category: 'invalid_request',
  },
  ERR_STATE_INVALID: { message: 'The operation is not allowed in the current state.', category: 'conflict' },
  ERR_TARGET_DENIED: {
    message:
      'The outbound target policy (http.allowedTargets, http.deniedTargets and the built-in denials) refused the host of a URL, WebSocket or SIP URI, by its name or an address it resolved to; nothing was sent to it.',
    category: 'authorization',
  },
} as const satisfies CatalogSection;
