/**
 * The callback outbox (issue 10 item 3): durable rows for the HTTP callbacks that must not be lost
 * (stream lifecycle callbacks, the hangup callback). `CallbackDelivery` writes a row *before* the
 * first attempt, records every failed attempt with the time of the next one, and marks the row
 * delivered or given up; on start the server claims what a previous process left pending and delivers
 * it, in order per lane. Every `CallStore` implements it (`CallStore extends CallbackOutbox`), so a
 * PostgreSQL store gets it with the same contract suite (`test/contracts/call-store.contract.ts`).
 *
 * Claims carry an owner (a process or node id): a process only ever claims rows owned by someone else
 * (a previous process on the same data dir, or, in a cluster, a node known to be dead) or, in a
 * cluster, its own node's rows left by its previous run; so a live owner's rows are never delivered
 * twice by two processes at once.
 *
 * Every time is epoch milliseconds (UTC).
 */
import { createHash } from 'node:crypto';

import type { CallbackSigning } from '../protocol/signature/callback-signing.js';

/** `pending` until delivered, given up on (attempts or age spent, or dropped by a budget). */
export const OutboxStatuses = ['pending', 'delivered', 'given-up'] as const;
export type OutboxStatus = (typeof OutboxStatuses)[number];

/** What `enqueueCallback` stores. */
export interface NewOutboxEntry {
  /** Unique id (a UUID), chosen by the writer; also the receiver's idempotency key. */
  readonly id: string;
  /** The ordering lane (`stream:<id>`, `hangup:<callUuid>`): one lane is delivered one row at a time, in `seq` order. */
  readonly lane: string;
  /** The call it belongs to, for logs; null when none. */
  readonly callUuid: string | null;
  readonly url: string;
  readonly method: 'GET' | 'POST';
  /** Form fields, in order (a name may repeat). */
  readonly params: readonly (readonly [string, string])[];
  /** How the request is signed when it is sent (Plivo's V3 or Twilio's signature); absent: Plivo's. */
  readonly signing?: CallbackSigning | undefined;
  /** The process or node that will deliver it. */
  readonly owner: string;
  readonly createdAt: number;
}

/** One outbox row. */
export interface OutboxEntry extends NewOutboxEntry {
  readonly signing: CallbackSigning;
  /** Assigned by the store on enqueue, increasing: the delivery order within a lane. */
  readonly seq: number;
  readonly status: OutboxStatus;
  /** Attempts made so far. */
  readonly attempts: number;
  /** When the next attempt is due (pending rows). */
  readonly nextAttemptAt: number;
  /** Why the last attempt failed, or why it was given up; null when none. */
  readonly lastError: string | null;
  /** When it was delivered or given up; null while pending. */
  readonly finishedAt: number | null;
}

export interface ClaimOptions {
  /** The claimer: becomes the rows' owner. Rows it already owns are not returned unless `from` names it. */
  readonly owner: string;
  /**
   * Only rows owned by this previous owner; absent: rows of any other owner. `from` equal to `owner`
   * takes back the claimer's own pending rows: a cluster node (owner = its node id) restarting takes
   * over what its previous run left, and no other node's rows.
   */
  readonly from?: string;
  /** Only rows due by this time (`nextAttemptAt <= dueBy`); absent: every pending row. */
  readonly dueBy?: number;
  /** At most this many rows. */
  readonly limit: number;
}

/** The outbox methods of a store. Methods reject with `ServerError` (`ERR_STORAGE_*`) on failure. */
export interface CallbackOutbox {
  /** Adds a pending row due now (`nextAttemptAt = createdAt`, 0 attempts); `ERR_STORAGE_DUPLICATE` for a known id. */
  enqueueCallback(entry: NewOutboxEntry): Promise<OutboxEntry>;
  /**
   * Takes over pending rows owned by others (see {@link ClaimOptions}), setting their owner, in one
   * transaction; returns them in `seq` order (so per lane in order).
   */
  claimCallbacks(options: ClaimOptions): Promise<OutboxEntry[]>;
  /** The pending row's attempt `attempts` failed; the next is due at `nextAttemptAt`. */
  markCallbackFailed(id: string, attempts: number, nextAttemptAt: number, error: string): Promise<void>;
  /** Delivered after `attempts` attempts. */
  markCallbackDelivered(id: string, attempts: number, nowMs: number): Promise<void>;
  /** Given up on after `attempts` attempts, with the reason (kept in `lastError`). */
  giveUpCallback(id: string, attempts: number, nowMs: number, reason: string): Promise<void>;
  getCallback(id: string): Promise<OutboxEntry | undefined>;
  /** Pending rows, `seq` order (diagnostics and tests). */
  pendingCallbacks(limit: number): Promise<OutboxEntry[]>;
  /** Deletes delivered and given-up rows finished before `finishedBefore`; resolves to how many. */
  pruneCallbacks(finishedBefore: number): Promise<number>;
}

/** The row `enqueueCallback` creates for `entry` (shared by the adapters so they agree). */
export function newOutboxRow(entry: NewOutboxEntry, seq: number): OutboxEntry {
  return {
    ...entry,
    params: entry.params.map(([k, v]) => [k, v] as const),
    signing: entry.signing ?? 'plivo',
    seq,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: entry.createdAt,
    lastError: null,
    finishedAt: null,
  };
}

/** Whether `claimCallbacks(options)` takes the pending row `row`. */
export function isClaimable(row: OutboxEntry, options: ClaimOptions): boolean {
  return (
    row.status === 'pending' &&
    (options.from === undefined ? row.owner !== options.owner : row.owner === options.from) &&
    (options.dueBy === undefined || row.nextAttemptAt <= options.dueBy)
  );
}

/** RFC 4122 §4.3 name space of streamfork's hangup callback ids (a random v4 UUID fixed here). */
const HANGUP_ID_NAMESPACE = Buffer.from('5b0e7d2c8a4f4e61b7a3c2d9e0f14a68', 'hex');

/** The outbox lane of a call's hangup callback (one per call). */
export function hangupLane(callUuid: string): string {
  return `hangup:${callUuid}`;
}

/**
 * The id of a call's hangup callback: a name-based (version 5) UUID of the call UUID, so the live path
 * and crash recovery, on any node, give one call's hangup callback the same id (and the receiver one
 * `X-Streamfork-Callback-Id` to deduplicate by).
 */
export function hangupCallbackId(callUuid: string): string {
  const hash = createHash('sha1').update(HANGUP_ID_NAMESPACE).update(hangupLane(callUuid)).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
