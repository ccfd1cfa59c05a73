/**
 * D12 stream status callbacks as data: the ordered form fields of one callback, sent as an
 * `application/x-www-form-urlencoded` body (POST) or query (GET) and signed as in D8.
 * Plivo reference: https://docs.plivo.com/docs/voice/xml/audiostream ("Parameters sent to the statusCallbackUrl").
 */

/** The events of D12. */
export type StreamCallbackEvent =
  'StartStream' | 'PlayedStream' | 'ClearedAudio' | 'DegradedStream' | 'DroppedStream' | 'StopStream';

/** The stream's `<Stream>`/REST attributes, echoed back in camelCase. */
export interface StreamCallbackAttributes {
  readonly bidirectional: boolean;
  readonly audioTrack: string;
  readonly streamTimeoutSec: number;
  readonly statusCallbackUrl?: string | undefined;
  readonly statusCallbackMethod: string;
  readonly contentType: string;
  readonly extraHeaders?: string | undefined;
  /** Absent for streams started by REST, which have no keepCallAlive. */
  readonly keepCallAlive?: boolean | undefined;
}

/** Everything one callback reports. */
export interface StreamCallbackInfo {
  readonly streamId: string;
  readonly callUuid: string;
  readonly accountId: string;
  readonly serviceUrl: string;
  /** When the event happened, epoch ms. */
  readonly timestampMs: number;
  /**
   * How `Timestamp` is written: `epoch-ms` (default; a string of integer epoch milliseconds, like
   * `media.timestamp`) or `datetime-utc` (`YYYY-MM-DD HH:MM:SS`, UTC, the style of Plivo's call records).
   */
  readonly timestampStyle?: 'epoch-ms' | 'datetime-utc' | undefined;
  readonly attributes: StreamCallbackAttributes;
  /** The checkpoint name (PlayedStream). */
  readonly name?: string | undefined;
  /** Why the stream ended (StopStream, DroppedStream), e.g. "API request", "Connection error". */
  readonly reason?: string | undefined;
  /** Error detail (StopStream, DroppedStream). */
  readonly error?: string | undefined;
  /** 30, 60 or 90 (DegradedStream). */
  readonly bufferUsagePercent?: number | undefined;
}

function formatTimestamp(ms: number, style: StreamCallbackInfo['timestampStyle']): string {
  if (style === 'datetime-utc') {
    // ISO 8601 "2024-01-15T09:50:00.000Z" -> "2024-01-15 09:50:00".
    return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  }
  return String(Math.floor(ms));
}

/**
 * The form fields of one stream status callback, in order: `Event`, `StreamID`, `CallUUID`,
 * `AccountID`, `ServiceURL`, `Timestamp`, then `Name` (PlayedStream), `Reason`/`Error` (StopStream,
 * DroppedStream), `BufferUsage` (DegradedStream), then the stream's attributes in camelCase
 * (`statusCallbackUrl`, `extraHeaders` and `keepCallAlive` only when set).
 */
export function streamCallbackParams(
  event: StreamCallbackEvent,
  info: StreamCallbackInfo,
): [string, string][] {
  const out: [string, string][] = [
    ['Event', event],
    ['StreamID', info.streamId],
    ['CallUUID', info.callUuid],
    ['AccountID', info.accountId],
    ['ServiceURL', info.serviceUrl],
    ['Timestamp', formatTimestamp(info.timestampMs, info.timestampStyle)],
  ];
  if (event === 'PlayedStream' && info.name !== undefined) {
    out.push(['Name', info.name]);
  }
  if (event === 'StopStream' || event === 'DroppedStream') {
    if (info.reason !== undefined) {
      out.push(['Reason', info.reason]);
    }
    if (info.error !== undefined) {
      out.push(['Error', info.error]);
    }
  }
  if (event === 'DegradedStream' && info.bufferUsagePercent !== undefined) {
    out.push(['BufferUsage', String(info.bufferUsagePercent)]);
  }
  const a = info.attributes;
  out.push(
    ['bidirectional', String(a.bidirectional)],
    ['audioTrack', a.audioTrack],
    ['streamTimeout', String(a.streamTimeoutSec)],
  );
  if (a.statusCallbackUrl !== undefined) {
    out.push(['statusCallbackUrl', a.statusCallbackUrl]);
  }
  out.push(['statusCallbackMethod', a.statusCallbackMethod], ['contentType', a.contentType]);
  if (a.extraHeaders !== undefined && a.extraHeaders !== '') {
    out.push(['extraHeaders', a.extraHeaders]);
  }
  if (a.keepCallAlive !== undefined) {
    out.push(['keepCallAlive', String(a.keepCallAlive)]);
  }
  return out;
}

/** `application/x-www-form-urlencoded` text of the fields (also usable as a GET query). */
export function formEncode(pairs: readonly (readonly [string, string])[]): string {
  return new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, v])).toString();
}

/** The fields as signing parameters (repeated keys kept), for `signatureHeaders`. */
export function signingParamsOf(pairs: readonly (readonly [string, string])[]): Record<string, string[]> {
  const params: Record<string, string[]> = {};
  for (const [k, v] of pairs) {
    (params[k] ??= []).push(v);
  }
  return params;
}
