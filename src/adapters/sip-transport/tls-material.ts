/**
 * Reads `sip.tls`'s PEM files at start and checks they make a usable TLS context, so a missing file or a
 * key that does not match its certificate stops the start with ERR_CONFIG_INVALID naming the key,
 * instead of surfacing as a handshake failure on the first call.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

import { ServerError } from '../../errors/server-error.js';
import type { SipTlsMaterial } from './node-sip-transport.js';

/** `sip.tls` as the configuration holds it. */
export interface SipTlsFiles {
  readonly port: number;
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string | null;
  readonly verifyPeer: boolean;
}

function readKey(key: string, path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    const why = err instanceof Error && 'code' in err ? String(err.code) : 'unreadable';
    throw new ServerError(
      'ERR_CONFIG_INVALID',
      `invalid configuration: ${key} ${path} cannot be read (${why})`,
    );
  }
}

/** The PEM bytes of `sip.tls`, checked by building a secure context from them. */
export function loadSipTlsMaterial(files: SipTlsFiles): SipTlsMaterial {
  const cert = readKey('sip.tls.certFile', files.certFile);
  const key = readKey('sip.tls.keyFile', files.keyFile);
  const ca = files.caFile === null ? undefined : readKey('sip.tls.caFile', files.caFile);
  try {
    tls.createSecureContext({
      cert: Buffer.from(cert),
      key: Buffer.from(key),
      ...(ca === undefined ? {} : { ca: Buffer.from(ca) }),
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ServerError(
      'ERR_CONFIG_INVALID',
      `invalid configuration: sip.tls.certFile/keyFile/caFile do not make a TLS context (${why})`,
    );
  }
  return { port: files.port, cert, key, ...(ca === undefined ? {} : { ca }), verifyPeer: files.verifyPeer };
}
