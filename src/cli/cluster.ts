/**
 * `streamfork cluster up|down`: the whole cluster on one machine, for trying it and for tests
 * (docs/cluster.md, "Trying it on one machine"). `up` prints one JSON line on stdout (where to send
 * calls, each node's API and SIP address, the credentials) once everything is ready and leaves the
 * processes running; progress goes to stderr and each process logs to a file in DIR. `down` stops
 * what `up` recorded in DIR/cluster.json.
 */
import { readFileSync } from 'node:fs';

import type { Command } from 'commander';

import { summaryOf } from '../adapters/launch/cluster-state.js';
import { clusterDown, clusterUp } from '../adapters/launch/local-cluster.js';
import type { Config, DeepPartial } from '../config/schema.js';
import { ServerError } from '../errors/server-error.js';
import type { CliContext } from './context.js';

interface UpOptions {
  nodes: string;
  dir: string;
  basePort?: string;
  answerUrl?: string;
  config?: string;
}

interface DownOptions {
  dir: string;
  purge?: boolean;
}

interface ParsedUp {
  nodes: number;
  basePort?: number;
  answerUrl?: string;
  nodeConfig?: DeepPartial<Config>;
}

/** The `--config` file: a JSON object of config sections. */
function readNodeConfig(file: string): DeepPartial<Config> | string {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return `--config ${file}: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `--config ${file}: must hold a JSON object (config sections, docs/config.md)`;
  }
  return value;
}

/** Parsed `up` flags, or the message for a bad one. */
function parseUp(opts: UpOptions): ParsedUp | string {
  const nodes = Number(opts.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 100) {
    return `--nodes must be a whole number from 1 to 100, got ${opts.nodes}`;
  }
  const out: ParsedUp = { nodes };
  if (opts.basePort !== undefined) {
    const basePort = Number(opts.basePort);
    // Node i uses base + 200i … base + 200i + 199.
    const highest = 65535 - 200 * (nodes + 1);
    if (!Number.isInteger(basePort) || basePort < 1024 || basePort > highest) {
      return `--base-port must be a port from 1024 to ${highest} for ${nodes} node(s), got ${opts.basePort}`;
    }
    out.basePort = basePort;
  }
  if (opts.answerUrl !== undefined) {
    if (!/^https?:\/\/\S+$/.test(opts.answerUrl)) {
      return `--answer-url must be an http:// or https:// URL, got ${opts.answerUrl}`;
    }
    out.answerUrl = opts.answerUrl;
  }
  if (opts.config !== undefined) {
    const nodeConfig = readNodeConfig(opts.config);
    if (typeof nodeConfig === 'string') {
      return nodeConfig;
    }
    out.nodeConfig = nodeConfig;
  }
  return out;
}

function fail(ctx: CliContext, what: string, err: unknown): void {
  if (!(err instanceof ServerError)) {
    throw err;
  }
  ctx.stderr.write(`streamfork cluster ${what}: ${err.message}\n`);
  ctx.exitCode = 1;
}

async function up(opts: UpOptions, ctx: CliContext): Promise<void> {
  const parsed = parseUp(opts);
  if (typeof parsed === 'string') {
    ctx.stderr.write(`streamfork cluster up: ${parsed}\n`);
    ctx.exitCode = 2;
    return;
  }
  try {
    const state = await clusterUp({
      dir: opts.dir,
      ...parsed,
      progress: (line) => ctx.stderr.write(`streamfork cluster up: ${line}\n`),
    });
    ctx.stdout.write(JSON.stringify(summaryOf(state)) + '\n');
  } catch (err) {
    fail(ctx, 'up', err);
  }
}

async function down(opts: DownOptions, ctx: CliContext): Promise<void> {
  try {
    await clusterDown({
      dir: opts.dir,
      purge: opts.purge === true,
      progress: (line) => ctx.stderr.write(`streamfork cluster down: ${line}\n`),
    });
  } catch (err) {
    fail(ctx, 'down', err);
  }
}

/** `streamfork cluster up|down`. */
export function addClusterCommand(program: Command, ctx: CliContext): void {
  const cluster = program
    .command('cluster')
    .description(
      'a whole cluster on this machine: PostgreSQL, Redis, Kamailio and N nodes (docs/cluster.md)',
    );
  cluster
    .command('up')
    .description('start the cluster in DIR; prints one JSON line (addresses, credentials) once all are ready')
    .requiredOption('--nodes <n>', 'number of streamfork nodes (1-100)')
    .requiredOption('--dir <dir>', 'directory for data, logs and cluster.json (created if missing)')
    .option('--base-port <port>', 'Kamailio on this UDP port, the rest above it (default: free ports)')
    .option('--answer-url <url>', 'answer URL fetched for inbound calls (default: inbound calls are refused)')
    .option(
      '--config <file.json>',
      'config every node starts from (docs/config.md); its ports, storage, cluster and auth are set by cluster up',
    )
    .action(async (opts: UpOptions) => {
      await up(opts, ctx);
    });
  cluster
    .command('down')
    .description('stop what `cluster up` started in DIR')
    .requiredOption('--dir <dir>', 'the directory given to cluster up')
    .option('--purge', 'also remove what cluster up created in DIR (data, logs, cluster.json)')
    .action(async (opts: DownOptions) => {
      await down(opts, ctx);
    });
}
