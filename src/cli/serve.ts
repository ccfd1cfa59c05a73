/**
 * `streamfork serve`: SIP, RTP, the REST API and the engine in one process, on embedded defaults
 * (loopback, SQLite under ./.data) unless configured (file, STREAMFORK_* environment, flags).
 * SIGTERM/SIGINT drain (new calls and OPTIONS get 503; live calls have `tuning.drainTimeoutSec` to end on
 * their own), end the calls still up with a cause, and flush records.
 */
import type { Command } from 'commander';

import { loadConfig } from '../config/load.js';
import { ServerError } from '../errors/server-error.js';
import { redactUrl } from '../observability/redact.js';
import type { Config, DeepPartial } from '../config/schema.js';
import { readOrCreateAuthToken } from './auth-token.js';
import type { CliContext } from './context.js';

interface ServeOptions {
  config?: string;
  sipPort?: string;
  httpPort?: string;
  answerUrl?: string;
  hangupUrl?: string;
  dataDir?: string;
  authId?: string;
  authToken?: string;
  logLevel?: string;
}

function overridesFrom(opts: ServeOptions): DeepPartial<Config> | string {
  const out: Record<string, Record<string, unknown>> = {};
  const set = (section: string, key: string, value: unknown): void => {
    (out[section] ??= {})[key] = value;
  };
  for (const [flag, section, key] of [
    ['sipPort', 'sip', 'port'],
    ['httpPort', 'http', 'port'],
  ] as const) {
    const text = opts[flag];
    if (text !== undefined) {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        return `--${flag === 'sipPort' ? 'sip-port' : 'http-port'} must be a port number (0-65535), got ${text}`;
      }
      set(section, key, n);
    }
  }
  if (opts.answerUrl !== undefined) {
    set('answer', 'answerUrl', opts.answerUrl);
  }
  if (opts.hangupUrl !== undefined) {
    set('answer', 'hangupUrl', opts.hangupUrl);
  }
  if (opts.dataDir !== undefined) {
    set('storage', 'dataDir', opts.dataDir);
  }
  if (opts.authId !== undefined) {
    set('auth', 'authId', opts.authId);
  }
  if (opts.authToken !== undefined) {
    set('auth', 'authToken', opts.authToken);
  }
  if (opts.logLevel !== undefined) {
    set('log', 'level', opts.logLevel);
  }
  return out;
}

const UNSET = '\u0000unset';

/** Loads the config; when no token is configured anywhere, uses (or creates) <dataDir>/auth_token. */
function resolveConfig(opts: ServeOptions, ctx: CliContext): Config | undefined {
  const overrides = overridesFrom(opts);
  if (typeof overrides === 'string') {
    ctx.stderr.write(`streamfork serve: ${overrides}\n`);
    return undefined;
  }
  const first = loadConfig({ file: opts.config, overrides, defaults: { auth: { authToken: UNSET } } });
  if (!first.ok) {
    ctx.stderr.write(`streamfork serve: invalid configuration:\n  ${first.errors.join('\n  ')}\n`);
    return undefined;
  }
  if (first.config.auth.authToken !== UNSET) {
    return first.config;
  }
  const { token, file, created } = readOrCreateAuthToken(first.config.storage.dataDir);
  ctx.stderr.write(`streamfork serve: auth token ${created ? 'created in' : 'read from'} ${file}\n`);
  const second = loadConfig({ file: opts.config, overrides, defaults: { auth: { authToken: token } } });
  return second.ok ? second.config : undefined;
}

/** Where the records go, for the start line (a PostgreSQL URL without its credentials). */
function recordsWhere(config: Config): string {
  const { driver, dataDir, url } = config.storage;
  if (driver === 'postgres') {
    return `PostgreSQL ${redactUrl(url ?? '')}`;
  }
  return driver === 'sqlite' ? dataDir : 'memory';
}

async function serve(opts: ServeOptions, ctx: CliContext): Promise<void> {
  const config = resolveConfig(opts, ctx);
  if (config === undefined) {
    ctx.exitCode = 2;
    return;
  }
  // Loaded here so that other commands (call, xml validate) do not pay for SIP, fastify and SQLite.
  const { startServer } = await import('../server.js');
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config);
  } catch (err) {
    if (!(err instanceof ServerError)) {
      throw err;
    }
    // A port in use and the like: one line naming the port and the setting, no stack trace.
    ctx.stderr.write(`streamfork serve: ${err.message}\n`);
    ctx.exitCode = 1;
    exitSoonIfStuck(ctx, 'start failed');
    return;
  }
  ctx.stderr.write(
    `streamfork serve: SIP on ${config.sip.host}:${server.sipPort} (${config.sip.transports.join('+')}${server.sipTlsPort > 0 ? `, tls on ${server.sipTlsPort}` : ''}), ` +
      `REST API on http${config.http.tls === null ? '' : 's'}://${config.http.host}:${server.httpPort}/v1/Account/${config.auth.authId}/, ` +
      `records in ${recordsWhere(config)}` +
      (config.answer.answerUrl === null
        ? '; no answer URL configured: inbound calls are refused (set --answer-url)'
        : '') +
      '\n',
  );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        ctx.stderr.write(`streamfork serve: ${signal} again; exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      const drainMs = config.tuning.drainTimeoutSec * 1000;
      ctx.stderr.write(
        `streamfork serve: ${signal}: draining (new calls get 503); live calls have ${drainMs / 1000} s to end\n`,
      );
      // The stop is bounded step by step; this is the backstop if one of them never settles.
      const limitMs = shutdownLimitMs(config);
      setTimeout(() => {
        ctx.stderr.write(`streamfork serve: shutdown did not finish within ${limitMs} ms; exiting\n`);
        process.exit(1);
      }, limitMs).unref();
      const stop = async (): Promise<void> => {
        if (!(await server.drain(drainMs))) {
          ctx.stderr.write('streamfork serve: drain time over; ending the remaining calls\n');
        }
        ctx.stderr.write('streamfork serve: flushing records\n');
        await server.stop('Server Shutdown');
      };
      void stop().then(resolve, (err: unknown) => {
        ctx.stderr.write(`streamfork serve: error while stopping: ${String(err)}\n`);
        ctx.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  ctx.stderr.write('streamfork serve: stopped\n');
  exitSoonIfStuck(ctx, 'stopped');
}

/**
 * The longest SIGTERM may take: the drain (`tuning.drainTimeoutSec`), the SIP stop (BYEs, at most 3 s,
 * then the port release, 2 s), the records and callbacks (`tuning.shutdownGraceMs`), the engine runtime
 * (the same grace), plus slack.
 */
export function shutdownLimitMs(config: Config): number {
  return config.tuning.drainTimeoutSec * 1000 + 5000 + 2 * config.tuning.shutdownGraceMs + 5000;
}

/**
 * Everything is closed by now, so the event loop should drain and the process end by itself. If some
 * handle is still open (a bug, or a library's socket), exit anyway a second later and say what was left,
 * so a supervisor's SIGTERM always ends the process. The timer is unref'd: a clean exit never waits.
 */
function exitSoonIfStuck(ctx: CliContext, when: string): void {
  setTimeout(() => {
    const left = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout' && r !== 'TTYWrap');
    ctx.stderr.write(
      `streamfork serve: ${when} but ${left.length} handle(s) still open (${left.join(', ')}); exiting\n`,
    );
    process.exit(ctx.exitCode);
  }, 1000).unref();
}

/** `streamfork serve`. */
export function addServeCommand(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description(
      'run the server: SIP + RTP + REST API + engine (embedded defaults: loopback, SQLite in ./.data)',
    )
    .option(
      '--config <file.json>',
      'JSON config file (see docs/config.md); STREAMFORK_* variables override it',
    )
    .option('--sip-port <port>', 'SIP port (UDP and TCP)')
    .option('--http-port <port>', 'REST API port')
    .option('--answer-url <url>', 'answer URL fetched for inbound calls')
    .option('--hangup-url <url>', 'hangup URL notified when calls end')
    .option('--data-dir <dir>', 'where records (SQLite) and the generated auth token live')
    .option('--auth-id <id>', 'account auth ID')
    .option('--auth-token <token>', 'account auth token (default: generated into <data-dir>/auth_token)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .action(async (opts: ServeOptions) => {
      await serve(opts, ctx);
    });
}
