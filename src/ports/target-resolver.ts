/**
 * The outbound target policy for a host we are about to send to (a SIP URI dialled without a trunk):
 * resolve the name once, check the name and every address, and return the one address to use.
 * Adapter: `adapters/net/target-guard.ts` (which also guards HTTP and WebSocket connects).
 */

/** The outcome of {@link TargetResolver.resolve}. */
export type GuardedResolution =
  | { readonly ok: true; readonly address: string; readonly family: 4 | 6 }
  | { readonly ok: false; readonly denied: boolean; readonly detail: string };

export interface TargetResolver {
  /** Never rejects: a refusal or a lookup failure is `{ ok: false }` with a detail fit for logs. */
  resolve(host: string): Promise<GuardedResolution>;
}
