import { randomBytes, randomInt, randomUUID } from 'node:crypto';

import type { Random } from '../../ports/random.js';

/** Cryptographic randomness from node:crypto. */
export const nodeRandom: Random = {
  uuid: () => randomUUID(),
  bytes: (n) => new Uint8Array(randomBytes(n)),
  int: (maxExclusive) => randomInt(maxExclusive),
};
