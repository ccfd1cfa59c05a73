/**
 * Parent side of sdk-worker.ts: spawns the SDK in a child process with NODE_EXTRA_CA_CERTS set (or,
 * for the negative check, deliberately without it) and calls `client.calls.<method>(...args)` there.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SdkError {
  readonly name: string;
  readonly status: number | null;
  readonly message: string;
  readonly apiId: string | null;
}

export type SdkAnswer =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: SdkError };

export interface SdkOptions {
  readonly authId: string;
  readonly authToken: string;
  readonly proxyUrl: string;
  /** PEM the child trusts (NODE_EXTRA_CA_CERTS); undefined: trust only the system store. */
  readonly caPath: string | undefined;
}

export interface SdkProcess {
  /** Runs `client.calls[method](...args)` in the child; `auth` uses other credentials for this call. */
  call(method: string, args: readonly unknown[], auth?: { id: string; token: string }): Promise<SdkAnswer>;
  /** Like `call`, but throws when the SDK rejected, and returns the value as `T`. */
  ok<T>(method: string, ...args: readonly unknown[]): Promise<T>;
  close(): Promise<void>;
}

const WORKER = new URL('./sdk-worker.ts', import.meta.url).pathname;

export function spawnSdk(opts: SdkOptions): SdkProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PLIVO_TEST_AUTH_ID: opts.authId,
    PLIVO_TEST_AUTH_TOKEN: opts.authToken,
    PLIVO_TEST_PROXY: opts.proxyUrl,
    NODE_NO_WARNINGS: '1',
  };
  delete env['NODE_EXTRA_CA_CERTS'];
  delete env['NODE_TLS_REJECT_UNAUTHORIZED'];
  if (opts.caPath !== undefined) {
    env['NODE_EXTRA_CA_CERTS'] = opts.caPath;
  }
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env,
    stdio: 'pipe',
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const pending = new Map<number, (a: SdkAnswer) => void>();
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code) => {
      for (const resolveAnswer of pending.values()) {
        resolveAnswer({
          ok: false,
          error: {
            name: 'WorkerExit',
            status: null,
            message: `SDK worker exited (${code}): ${stderr}`,
            apiId: null,
          },
        });
      }
      pending.clear();
      resolve();
    });
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const answer = JSON.parse(line) as SdkAnswer & { id: number };
    pending.get(answer.id)?.(answer);
    pending.delete(answer.id);
  });
  let nextId = 0;
  const call = (
    method: string,
    args: readonly unknown[],
    auth?: { id: string; token: string },
  ): Promise<SdkAnswer> =>
    new Promise((resolve) => {
      const id = ++nextId;
      pending.set(id, resolve);
      child.stdin.write(`${JSON.stringify({ id, method, args, ...(auth === undefined ? {} : { auth }) })}\n`);
    });
  return {
    call,
    async ok<T>(method: string, ...args: readonly unknown[]): Promise<T> {
      const answer = await call(method, args);
      if (!answer.ok) {
        throw new Error(`calls.${method} failed: ${JSON.stringify(answer.error)}`);
      }
      return answer.value as T;
    },
    async close() {
      child.stdin.end();
      child.kill();
      await exited;
    },
  };
}
