/**
 * The one error catalogue. Each protocol area declares its codes in `codes/<area>.ts`; this module
 * merges them, and `docs/errors.md` is generated from the result (kept in sync by a test).
 */
import type { CatalogEntry, CatalogSection, ErrorCategory } from './catalog.types.js';
import { apiCodes } from './codes/api.js';
import { callCodes } from './codes/call.js';
import { clusterCodes } from './codes/cluster.js';
import { generalCodes } from './codes/general.js';
import { launchCodes } from './codes/launch.js';
import { mediaCodes } from './codes/media.js';
import { promptCodes } from './codes/prompt.js';
import { recordingCodes } from './codes/recording.js';
import { rtpCodes } from './codes/rtp.js';
import { sipCodes } from './codes/sip.js';
import { storageCodes } from './codes/storage.js';
import { streamCodes } from './codes/stream.js';
import { xmlCodes } from './codes/xml.js';

const sections: readonly CatalogSection[] = [
  generalCodes,
  xmlCodes,
  callCodes,
  streamCodes,
  mediaCodes,
  sipCodes,
  rtpCodes,
  apiCodes,
  storageCodes,
  promptCodes,
  recordingCodes,
  clusterCodes,
  launchCodes,
];

function merge(all: readonly CatalogSection[]): ReadonlyMap<string, CatalogEntry> {
  const map = new Map<string, CatalogEntry>();
  for (const section of all) {
    for (const [code, entry] of Object.entries(section)) {
      if (map.has(code)) {
        throw new TypeError(`duplicate error code ${code}`);
      }
      map.set(code, entry);
    }
  }
  return map;
}

export const errorCatalog: ReadonlyMap<string, CatalogEntry> = merge(sections);

/** Every catalogued code, as a string-literal union (what typed events such as `call.error` carry). */
export type ErrorCode =
  | keyof typeof generalCodes
  | keyof typeof xmlCodes
  | keyof typeof callCodes
  | keyof typeof streamCodes
  | keyof typeof mediaCodes
  | keyof typeof sipCodes
  | keyof typeof rtpCodes
  | keyof typeof apiCodes
  | keyof typeof storageCodes
  | keyof typeof promptCodes
  | keyof typeof recordingCodes;

const retryableCategories: ReadonlySet<ErrorCategory> = new Set([
  'rate_limit',
  'connectivity',
  'timeout',
  'server',
]);

export function isRetryableCategory(category: ErrorCategory): boolean {
  return retryableCategories.has(category);
}

const defaultHttpStatus: Readonly<Record<ErrorCategory, number>> = {
  invalid_request: 400,
  authentication: 401,
  authorization: 403,
  not_found: 404,
  conflict: 409,
  rate_limit: 429,
  connectivity: 502,
  timeout: 504,
  server: 500,
  protocol: 400,
};

/** The HTTP status for a catalogued code (500 for an unknown one). */
export function httpStatusFor(code: string): number {
  const entry = errorCatalog.get(code);
  if (entry === undefined) {
    return 500;
  }
  return entry.httpStatus ?? defaultHttpStatus[entry.category];
}
