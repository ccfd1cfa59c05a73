import type { CatalogSection } from '../catalog.types.js';

/** Error codes of the cluster (ERR_CLUSTER_*): commands forwarded to the node that owns a call. */
export const clusterCodes = {
  ERR_CLUSTER_FORWARD_TIMEOUT: {
    message: 'The node that owns the call did not answer the forwarded command in time.',
    category: 'timeout',
    httpStatus: 504,
  },
  ERR_CLUSTER_FORWARD_FAILED: {
    message: 'The command could not be forwarded to the node that owns the call.',
    category: 'connectivity',
    httpStatus: 502,
  },
} as const satisfies CatalogSection;
