/**
 * Driving sipp (Debian sip-tester 3.6) and friends from tests: scenario templates filled into a temp
 * dir, free loopback ports, bounded child processes that are always killed, and sipp's statistics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';

export const HOST = '127.0.0.1';

const scenarios = new URL('../scenarios/', import.meta.url);

/** Reads `test/interop/scenarios/<name>`, replaces each `@KEY@`, writes it into `dir`; returns the path. */
export function fillScenario(name: string, dir: string, values: Readonly<Record<string, string>>): string {
  let text = readFileSync(new URL(name, scenarios), 'utf8');
  for (const [key, value] of Object.entries(values)) {
    text = text.split(`@${key}@`).join(value);
  }
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A free UDP port on loopback (bound and released; an even one when `even`). */
export async function freeUdpPort(even = false): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = dgram.createSocket('udp4');
      s.once('error', reject);
      s.bind(0, HOST, () => {
        const p = s.address().port;
        s.close(() => {
          resolve(p);
        });
      });
    });
    if ((!even || (port % 2 === 0 && port < 65000)) && (await tcpFree(port))) {
      return port;
    }
  }
}

/**
 * Whether `port` is free for TCP on loopback too: a SIP port is bound for UDP and TCP alike, and a port
 * the kernel just handed out for UDP may be some client's ephemeral TCP port (seen in CI: EADDRINUSE).
 */
function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => {
      resolve(false);
    });
    s.listen(port, HOST, () => {
      s.close(() => {
        resolve(true);
      });
    });
  });
}

/** Children started by {@link runTool}; kill them in `after`. */
export const children = new Set<ChildProcess>();

/** Kills every child still running. */
export function killChildren(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
    }
  }
  children.clear();
}

/**
 * Registers the file's `after`: kill every child still running, then run the cleanups pushed on the
 * returned list, newest first (temp dirs, servers, peers).
 */
export function cleanupAfterTests(): (() => unknown)[] {
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    killChildren();
    for (const c of cleanups.reverse()) {
      await c();
    }
  });
  return cleanups;
}

export interface ToolRun {
  readonly code: number | null;
  readonly output: string;
}

/** Runs a program with a hard timeout (SIGKILL), collecting stdout and stderr. */
export function runTool(
  cmd: string,
  args: readonly string[],
  timeoutMs: number,
  cwd?: string,
): Promise<ToolRun> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd === undefined ? {} : { cwd }) });
  children.add(proc);
  let output = '';
  proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${cmd} did not finish within ${timeoutMs} ms:\n${output.slice(-3000)}`));
    }, timeoutMs);
    proc.once('error', (err) => {
      clearTimeout(timer);
      children.delete(proc);
      reject(err);
    });
    proc.once('close', (code) => {
      clearTimeout(timer);
      children.delete(proc);
      resolve({ code, output });
    });
  });
}

/** sipp's final "Successful call" and "Failed call" totals (cumulative column). */
export function sippTotals(output: string): { successful: number; failed: number } | undefined {
  const ok = /Successful call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(output);
  const failed = /Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(output);
  if (ok === null || failed === null) {
    return undefined;
  }
  return { successful: Number(ok[1]), failed: Number(failed[1]) };
}

/** Common sipp arguments: loopback, our port, no stdin, global and per-message timeouts. */
export function sippArgs(target: string, sipPort: number, mediaPort: number, timeoutSec: number): string[] {
  return [
    target,
    '-i',
    HOST,
    '-p',
    String(sipPort),
    '-mi',
    HOST,
    '-mp',
    String(mediaPort),
    '-nostdin',
    '-timeout',
    String(timeoutSec),
    '-timeout_error',
    '-recv_timeout',
    '10000',
    '-aa',
  ];
}

/**
 * Resolves once some process has a UDP socket bound to `port` on loopback or any address, read from
 * /proc/net/udp (binding the port ourselves to probe it could steal it from the peer being started).
 */
export async function waitForUdpListener(port: number, timeoutMs: number): Promise<void> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const table = readFileSync('/proc/net/udp', 'utf8');
    if (table.split('\n').some((line) => line.trim().split(/\s+/)[1]?.endsWith(`:${hex}`) === true)) {
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listened on UDP port ${port} within ${timeoutMs} ms`);
}
