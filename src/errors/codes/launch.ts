import type { CatalogSection } from '../catalog.types.js';

/**
 * Error codes of the process launchers behind `streamfork cluster up` (ERR_LAUNCH_*): PostgreSQL,
 * Redis, Kamailio and streamfork nodes started as child processes on one machine (docs/cluster.md).
 */
export const launchCodes = {
  ERR_LAUNCH_MISSING_BINARY: {
    message: 'A program the cluster needs is not installed; the message names its Debian package.',
    category: 'server',
  },
  ERR_LAUNCH_FAILED: {
    message:
      'A process of the cluster exited or did not become ready in time; the message names it and its log file.',
    category: 'server',
  },
  ERR_LAUNCH_DIR_IN_USE: {
    message:
      'The cluster directory already holds a running cluster (stop it with `streamfork cluster down`).',
    category: 'conflict',
  },
  ERR_LAUNCH_NO_PORTS: {
    message: 'No free block of loopback ports was found for a node (SIP, API or RTP range).',
    category: 'server',
  },
} as const satisfies CatalogSection;
