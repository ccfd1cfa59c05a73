/**
 * One streamfork node as a child process: `bin/streamfork.js serve --config <file>` with a generated
 * JSON config, its output in a log file, ready once its REST API answers an authenticated request.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Config, DeepPartial } from '../../config/schema.js';
import { launch, waitReady, type ProcessRecord } from './child-process.js';

/** The `streamfork` command of this installation (the same path from src/ and from dist/). */
export const STREAMFORK_BIN = fileURLToPath(new URL('../../../bin/streamfork.js', import.meta.url));

export interface StreamforkNodeOptions {
  /** `<name>/config.json` (and the node's data dir, `<name>/data`) and `<name>.log` go there. */
  readonly dir: string;
  /** `node-1`, …: the process name in logs and errors. */
  readonly name: string;
  /** The node's configuration; `storage.dataDir` defaults to `<dir>/<name>/data`. */
  readonly config: DeepPartial<Config>;
  /** Where its REST API answers (`http://127.0.0.1:8080`), for the readiness check. */
  readonly apiUrl: string;
  readonly authId: string;
  readonly authToken: string;
  /** Time it gets after SIGTERM (the drain and the shutdown) before SIGKILL. Default 45 s. */
  readonly stopGraceMs?: number;
  /** Default 30 s. */
  readonly readyTimeoutMs?: number;
}

export interface RunningStreamforkNode {
  readonly record: ProcessRecord;
  readonly configFile: string;
}

/** True when `GET <api>/v1/Account/<id>/Call/` answers 200 with these credentials. */
export async function apiAnswers(apiUrl: string, authId: string, authToken: string): Promise<boolean> {
  const res = await fetch(`${apiUrl}/v1/Account/${authId}/Call/`, {
    headers: { authorization: 'Basic ' + Buffer.from(`${authId}:${authToken}`).toString('base64') },
    signal: AbortSignal.timeout(2000),
  });
  await res.body?.cancel();
  return res.status === 200;
}

/** Writes the node's config file and starts it; resolves once its REST API answers. */
export async function startStreamforkNode(opts: StreamforkNodeOptions): Promise<RunningStreamforkNode> {
  const dir = resolve(opts.dir);
  const home = join(dir, opts.name);
  mkdirSync(home, { recursive: true });
  const configFile = join(home, 'config.json');
  const config = { ...opts.config, storage: { dataDir: join(home, 'data'), ...opts.config.storage } };
  // The token is in it: readable by its owner only.
  writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  const record = launch({
    name: opts.name,
    program: process.execPath,
    args: [STREAMFORK_BIN, 'serve', '--config', configFile],
    cwd: home,
    logFile: join(dir, `${opts.name}.log`),
    // The node reads no STREAMFORK_* variable of ours: its file is its whole configuration.
    env: Object.fromEntries(
      Object.keys(process.env)
        .filter((k) => k.startsWith('STREAMFORK_'))
        .map((k) => [k, undefined]),
    ),
    stopGraceMs: opts.stopGraceMs ?? 45_000,
  });
  await waitReady(
    record,
    `its REST API at ${opts.apiUrl}`,
    () => apiAnswers(opts.apiUrl, opts.authId, opts.authToken),
    opts.readyTimeoutMs ?? 30_000,
  );
  return { record, configFile };
}
