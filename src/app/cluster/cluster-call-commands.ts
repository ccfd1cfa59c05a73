/**
 * `CallCommands` for a cluster node (issue 12 item 2; docs/cluster.md, "Live registry and
 * forwarding"): a command on a call this node runs goes to the local commands; on a call the registry
 * says another live node owns, it is forwarded to that node's internal API route over HTTP; with no
 * live owner it goes to the local commands too, which answer from the shared store exactly as a single
 * node does (`not-found` for an unknown call, `not-live` for an ended one). `createCall` always runs on
 * this node. A registry failure is logged and the command runs locally (the answer is then the
 * store's).
 */
import type {
  CallCommands,
  CommandResult,
  DialRequest,
  HttpMethod,
  StreamStartRequest,
} from '../../ports/call-commands.js';
import { FORWARDED_BY_HEADER, type ForwardedCommand, forwardPath } from '../../ports/forwarded-command.js';
import type { HttpClient } from '../../ports/http-client.js';
import type { Logger } from '../../ports/logger.js';

/** Where commands for other nodes' calls are sent. */
export interface OwnerLookup {
  /** The API URL of the live node other than this one that owns the call, else undefined. */
  remoteOwnerOf(callUuid: string): Promise<{ readonly nodeId: string; readonly apiUrl: string } | undefined>;
}

export interface ClusterCallCommandsDeps {
  readonly local: CallCommands;
  readonly owners: OwnerLookup;
  /** For forwarded requests (no outbound target policy: peers come from the registry). */
  readonly http: HttpClient;
  readonly nodeId: string;
  readonly authId: string;
  readonly authToken: string;
  /** A forwarded command with no answer by then fails with ERR_CLUSTER_FORWARD_TIMEOUT. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Whether this node runs the call (the engine holds it). */
  isLocal(callUuid: string): boolean;
}

const MAX_ANSWER_BYTES = 64 * 1024;

function isResult(value: unknown): value is CommandResult<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}

export class ClusterCallCommands implements CallCommands {
  readonly #deps: ClusterCallCommandsDeps;
  readonly #auth: string;

  constructor(deps: ClusterCallCommandsDeps) {
    this.#deps = deps;
    this.#auth = `Basic ${Buffer.from(`${deps.authId}:${deps.authToken}`).toString('base64')}`;
  }

  createCall(req: DialRequest): Promise<CommandResult<{ readonly requestUuid: string }>> {
    return this.#deps.local.createCall(req);
  }

  startStream(
    callUuid: string,
    req: StreamStartRequest,
  ): Promise<CommandResult<{ readonly streamId: string }>> {
    return this.#route({ op: 'startStream', callUuid, req }, () =>
      this.#deps.local.startStream(callUuid, req),
    );
  }

  stopStream(callUuid: string, streamId: string, reason: string): Promise<CommandResult> {
    return this.#route({ op: 'stopStream', callUuid, streamId, reason }, () =>
      this.#deps.local.stopStream(callUuid, streamId, reason),
    );
  }

  stopAllStreams(callUuid: string, reason: string): Promise<CommandResult<{ readonly stopped: number }>> {
    return this.#route({ op: 'stopAllStreams', callUuid, reason }, () =>
      this.#deps.local.stopAllStreams(callUuid, reason),
    );
  }

  hangup(callUuid: string, cause: string): Promise<CommandResult> {
    return this.#route({ op: 'hangup', callUuid, cause }, () => this.#deps.local.hangup(callUuid, cause));
  }

  transfer(callUuid: string, url: string, method: HttpMethod): Promise<CommandResult> {
    return this.#route({ op: 'transfer', callUuid, url, method }, () =>
      this.#deps.local.transfer(callUuid, url, method),
    );
  }

  sendDtmf(callUuid: string, digits: string): Promise<CommandResult> {
    return this.#route({ op: 'sendDtmf', callUuid, digits }, () =>
      this.#deps.local.sendDtmf(callUuid, digits),
    );
  }

  async #route<T extends object>(
    cmd: ForwardedCommand,
    runLocally: () => Promise<CommandResult<T>>,
  ): Promise<CommandResult<T>> {
    if (this.#deps.isLocal(cmd.callUuid)) {
      return runLocally();
    }
    let owner: { readonly nodeId: string; readonly apiUrl: string } | undefined;
    try {
      owner = await this.#deps.owners.remoteOwnerOf(cmd.callUuid);
    } catch (err) {
      this.#deps.logger.warn(
        { err, callUuid: cmd.callUuid },
        'registry unreachable; answering from the store',
      );
    }
    return owner === undefined ? runLocally() : this.#forward<T>(cmd, owner);
  }

  async #forward<T extends object>(
    cmd: ForwardedCommand,
    owner: { readonly nodeId: string; readonly apiUrl: string },
  ): Promise<CommandResult<T>> {
    const res = await this.#deps.http.request({
      method: 'POST',
      url: new URL(forwardPath(this.#deps.authId), owner.apiUrl).toString(),
      headers: { authorization: this.#auth, [FORWARDED_BY_HEADER]: this.#deps.nodeId },
      json: JSON.stringify(cmd),
      timeoutMs: this.#deps.timeoutMs,
      maxBodyBytes: MAX_ANSWER_BYTES,
    });
    const where = { callUuid: cmd.callUuid, op: cmd.op, owner: owner.nodeId };
    if (!res.ok) {
      this.#deps.logger.warn(
        { ...where, reason: res.reason, detail: res.detail },
        'forwarded command failed',
      );
      return res.reason === 'timeout'
        ? {
            ok: false,
            reason: 'failed',
            code: 'ERR_CLUSTER_FORWARD_TIMEOUT',
            message: `node ${owner.nodeId} did not answer in ${this.#deps.timeoutMs} ms`,
          }
        : {
            ok: false,
            reason: 'failed',
            code: 'ERR_CLUSTER_FORWARD_FAILED',
            message: `node ${owner.nodeId} unreachable (${res.reason})`,
          };
    }
    let body: unknown;
    try {
      body = res.status === 200 ? JSON.parse(res.body) : undefined;
    } catch {
      body = undefined;
    }
    if (!isResult(body)) {
      this.#deps.logger.warn({ ...where, status: res.status }, 'forwarded command got no command result');
      return {
        ok: false,
        reason: 'failed',
        code: 'ERR_CLUSTER_FORWARD_FAILED',
        message: `node ${owner.nodeId} answered HTTP ${res.status}`,
      };
    }
    return body;
  }
}
