/**
 * Arrange helpers for stream integration tests: a runtime with short D10/D11 settings and a capturing
 * logger, answer XML built from plain data, caller audio, and a probe on the WebSocket connections the
 * engine opens (the `bufferedAmount` it sees after each send), all on real loopback sockets.
 */
import { composeRuntime, type Runtime, type RuntimeOptions } from '../../src/compose.js';
import { defaultStreamSettings } from '../../src/engine/fork/stream-defaults.js';
import type { StreamSettings } from '../../src/engine/fork/stream-fork.types.js';
import { generateTone } from '../../src/media/analysis.js';
import type { Logger } from '../../src/ports/logger.js';
import type { WsConnection, WsConnector } from '../../src/ports/ws-client.js';

export const TEST_ACCOUNT_ID = 'MAZDQ1ZJIYMDA0ZTG3ZM';
export const TEST_AUTH_TOKEN = 'ZmQ4ZTA1YzMwYjQ2NTRmNjRhOTVmMGVhNzM2YTBk';

/** Default stream settings with a fast D10 back-off and connect timeout, for tests. */
export function testSettings(overrides: Partial<StreamSettings> = {}): StreamSettings {
  return {
    ...defaultStreamSettings(TEST_ACCOUNT_ID, TEST_AUTH_TOKEN),
    connectBackoffMs: 50,
    connectTimeoutMs: 1000,
    ...overrides,
  };
}

/** One log line the engine wrote. */
export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A Logger that keeps every entry (child bindings merged in). */
export function captureLogger(
  entries: LogEntry[] = [],
  bindings: object = {},
): Logger & { readonly entries: LogEntry[] } {
  const at =
    (level: LogEntry['level']) =>
    (fields: object, msg: string): void => {
      entries.push({ level, msg, fields: { ...bindings, ...fields } });
    };
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => captureLogger(entries, { ...bindings, ...more }),
  };
}

/** A runtime on the real adapters (ws, undici, system clock, the media clock driver) with a capturing logger. */
export function testRuntime(
  settings: StreamSettings = testSettings(),
  extra: Partial<RuntimeOptions> = {},
): Runtime & { readonly logs: LogEntry[] } {
  const logger = captureLogger();
  const runtime = composeRuntime({ stream: settings, logger, callbackTimeoutMs: 2000, ...extra });
  return Object.assign(runtime, { logs: logger.entries });
}

const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

/** `<Stream attr="…">url</Stream>`, attributes and body escaped. */
export function streamElement(
  url: string,
  attrs: Readonly<Record<string, string | number | boolean>> = {},
): string {
  const rendered = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
  return `<Stream${rendered}>${escapeXml(url)}</Stream>`;
}

/** `<Response>` around the given elements. */
export function responseXml(...elements: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${elements.join('')}</Response>`;
}

/** Caller audio: a sine at `freqHz`, 8 kHz mono, `ms` long, amplitude 8000. */
export function callerTone(ms: number, freqHz = 440): Int16Array {
  return generateTone(freqHz, 8000, ms, 8000);
}

/** What the probe saw on one connection the engine opened. */
export interface ProbedConnection {
  readonly url: string;
  /** Text frames the engine sent. */
  sends: number;
  /** Largest single frame the engine sent, bytes. */
  maxFrameBytes: number;
  /** Largest `bufferedAmount` the engine read (it reads it after every tick's sends). */
  maxBufferedSeen: number;
  /** Each `bufferedAmount` read, with Date.now(). */
  readonly bufferedSamples: { atMs: number; bytes: number }[];
  terminated: boolean;
}

/**
 * Wraps the runtime's WsConnector so each connection the engine opens is observed (no behaviour
 * change: every call is forwarded). Returns the list of probed connections, in connect order.
 */
export function probeConnections(runtime: Runtime): ProbedConnection[] {
  const connector = runtime.ports.ws as WsConnector & { connect: WsConnector['connect'] };
  const original = connector.connect.bind(connector);
  const probes: ProbedConnection[] = [];
  connector.connect = async (url, options) => {
    const conn = await original(url, options);
    const probe: ProbedConnection = {
      url,
      sends: 0,
      maxFrameBytes: 0,
      maxBufferedSeen: 0,
      bufferedSamples: [],
      terminated: false,
    };
    probes.push(probe);
    const wrapped: WsConnection = {
      send(text) {
        probe.sends++;
        probe.maxFrameBytes = Math.max(probe.maxFrameBytes, Buffer.byteLength(text));
        conn.send(text);
      },
      get bufferedAmount() {
        const bytes = conn.bufferedAmount;
        probe.maxBufferedSeen = Math.max(probe.maxBufferedSeen, bytes);
        probe.bufferedSamples.push({ atMs: Date.now(), bytes });
        return bytes;
      },
      close(code, reason) {
        conn.close(code, reason);
      },
      terminate() {
        probe.terminated = true;
        conn.terminate();
      },
      onMessage(listener) {
        conn.onMessage(listener);
      },
      onClose(listener) {
        conn.onClose(listener);
      },
    };
    return wrapped;
  };
  return probes;
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` (which may be async) every 10 ms; rejects with `what` after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await delay(10);
  }
}

/** Rejects after `ms` with a message naming `what`; for bounding whole calls. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} did not finish within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
