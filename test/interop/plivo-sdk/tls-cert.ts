/**
 * A throwaway self-signed certificate for api.plivo.com, made with `openssl` at test time into a temp
 * directory (dependencies.md §6a): our TLS listener presents it, and the SDK's process trusts it
 * through NODE_EXTRA_CA_CERTS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  readonly key: string;
  readonly cert: string;
  /** PEM file of the certificate, for NODE_EXTRA_CA_CERTS. */
  readonly certPath: string;
  /** Deletes the temp directory. */
  remove(): void;
}

export function makeCertificate(host = 'api.plivo.com'): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      '1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-subj',
      `/CN=${host}`,
      '-addext',
      `subjectAltName=DNS:${host}`,
    ],
    { stdio: 'pipe' },
  );
  return {
    key: readFileSync(keyPath, 'utf8'),
    cert: readFileSync(certPath, 'utf8'),
    certPath,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
