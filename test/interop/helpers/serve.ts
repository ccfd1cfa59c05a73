/**
 * Running `streamfork serve` as a child process for interop tests: start it on free loopback ports,
 * wait until it listens, call its REST API with Basic auth.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { children } from './sipp.js';

const root = new URL('../../..', import.meta.url).pathname;

export const AUTH_ID = 'MASERVETEST000000000';
export const TOKEN = 'serve-test-token';

export async function freeTcpPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface Serve {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** What the server wrote to stderr so far. */
  stderr(): string;
}

/** Starts `streamfork serve <args>` (`env` added to ours) and resolves once the REST API listens. */
export function startServe(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<Serve> {
  const child = spawn(process.execPath, [join(root, 'bin/streamfork.js'), 'serve', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  children.add(child);
  const exited = new Promise<number | null>((r) => {
    child.on('exit', (code) => {
      r(code);
    });
  });
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`serve did not start: ${err}`));
    }, 20_000);
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('REST API on')) {
        clearTimeout(timer);
        resolve({ child, exited, stderr: () => err });
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`serve exited early: ${err}`));
    });
  });
}

/** GET on the REST API (`path` relative to /v1/Account/{auth_id}/); asserts 200 and returns the JSON. */
export async function apiGet(
  httpPort: number,
  path: string,
  authId = AUTH_ID,
  token = TOKEN,
): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/v1/Account/${authId}/${path}`, {
    headers: { authorization: 'Basic ' + Buffer.from(`${authId}:${token}`).toString('base64') },
  });
  assert.equal(res.status, 200, `GET ${path}`);
  return (await res.json()) as Record<string, unknown>;
}

export async function waitUntil(
  what: string,
  fn: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
