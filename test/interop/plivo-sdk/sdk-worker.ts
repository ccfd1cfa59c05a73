/**
 * Child process that drives the official `plivo` SDK (CommonJS) for the interop test. It runs in its
 * own process because NODE_EXTRA_CA_CERTS, which makes it trust our api.plivo.com certificate, is read
 * only at process start. Protocol: one JSON request per stdin line,
 * `{"id","method":"create"|"stream"|…,"args":[…],"auth"?:{"id","token"}}`, one JSON answer per stdout
 * line, `{"id","ok":true,"value"}` or `{"id","ok":false,"error":{name,status,message,apiId}}`.
 * Environment: PLIVO_TEST_AUTH_ID, PLIVO_TEST_AUTH_TOKEN, PLIVO_TEST_PROXY.
 */
import { createInterface } from 'node:readline';

import plivo from 'plivo';

interface Request {
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
  readonly auth?: { readonly id: string; readonly token: string };
}

type SdkMethod = (...args: unknown[]) => Promise<unknown>;
interface SdkClient {
  readonly calls: Record<string, SdkMethod | undefined>;
}
const { Client } = plivo as unknown as {
  Client: new (id: string, token: string, options: { proxy: string }) => SdkClient;
};

const env = process.env;
const proxy = env['PLIVO_TEST_PROXY'] ?? '';
const defaultClient = new Client(env['PLIVO_TEST_AUTH_ID'] ?? '', env['PLIVO_TEST_AUTH_TOKEN'] ?? '', {
  proxy,
});

/** SDK answers as plain JSON; lists are arrays carrying a `meta` property, kept as `{items, meta}`. */
function toJson(value: unknown): unknown {
  if (Array.isArray(value)) {
    return { items: value as unknown[], meta: (value as unknown[] & { meta?: unknown }).meta ?? null };
  }
  return value;
}

function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const e = err as Error & { status?: number; apiID?: string };
    return { name: e.constructor.name, status: e.status ?? null, message: e.message, apiId: e.apiID ?? null };
  }
  return { name: typeof err, status: null, message: String(err), apiId: null };
}

async function handle(req: Request): Promise<unknown> {
  const client = req.auth === undefined ? defaultClient : new Client(req.auth.id, req.auth.token, { proxy });
  const method = client.calls[req.method];
  if (method === undefined) {
    throw new TypeError(`the SDK has no calls.${req.method}`);
  }
  return toJson(await method.apply(client.calls, [...req.args]));
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const req = JSON.parse(line) as Request;
  handle(req).then(
    (value) => process.stdout.write(`${JSON.stringify({ id: req.id, ok: true, value })}\n`),
    (err: unknown) =>
      process.stdout.write(`${JSON.stringify({ id: req.id, ok: false, error: describeError(err) })}\n`),
  );
});
