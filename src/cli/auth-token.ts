/**
 * The embedded default for the API/signing token: when none is configured, `serve` reads
 * `<dataDir>/auth_token`, creating it (mode 0600, 32 random bytes, base64url) on first start, so a
 * fresh install works with no configuration and keeps the same token across restarts.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function readOrCreateAuthToken(dataDir: string): { token: string; file: string; created: boolean } {
  const file = join(dataDir, 'auth_token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token !== '') {
      return { token, file, created: false };
    }
  } catch {
    // Not there yet: create it below.
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, file, created: true };
}
