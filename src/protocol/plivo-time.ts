/**
 * Plivo's time and duration spellings (pure): what the REST objects and the hangup callbacks carry.
 * Every time is UTC (`+00:00`).
 */

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function utcParts(epochMs: number): { date: string; time: string; micros: string } {
  const d = new Date(epochMs);
  return {
    date: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
    micros: pad(d.getUTCMilliseconds() * 1000, 6),
  };
}

/** `YYYY-MM-DD HH:MM:SS+00:00` (Plivo `start_time`, `end_time`, `answer_time`…). */
export function plivoTime(epochMs: number): string {
  const p = utcParts(epochMs);
  return `${p.date} ${p.time}+00:00`;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff+00:00` (Plivo `created_at`). */
export function plivoTimeMicros(epochMs: number): string {
  const p = utcParts(epochMs);
  return `${p.date} ${p.time}.${p.micros}+00:00`;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff`, no offset (Plivo `session_start`). */
export function plivoSessionTime(epochMs: number): string {
  const p = utcParts(epochMs);
  return `${p.date} ${p.time}.${p.micros}`;
}

/** Whole seconds, rounded up, between two instants (0 when `endMs` is not after `startMs`). */
export function elapsedSec(startMs: number, endMs: number): number {
  return Math.max(0, Math.ceil((endMs - startMs) / 1000));
}
