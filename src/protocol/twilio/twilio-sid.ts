/**
 * Twilio-style identifiers: a two-letter prefix (`CA` calls, `MZ` streams, `AC` accounts) and 32 hex
 * digits. streamfork's ids are UUIDs, so a sid is the prefix and the UUID's hex digits; any other id is
 * hashed into 32 hex digits, so the mapping stays stable for one id.
 */
import { createHash } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `prefix` and 32 lower-case hex digits standing for `id`. */
export function twilioSid(prefix: string, id: string): string {
  if (UUID.test(id)) {
    return prefix + id.replace(/-/g, '').toLowerCase();
  }
  if (/^[A-Z]{2}[0-9a-f]{32}$/.test(id)) {
    return id;
  }
  return prefix + createHash('sha256').update(id).digest('hex').slice(0, 32);
}
