/**
 * The cluster's internal command route (docs/cluster.md, "Live registry and forwarding"): a node that
 * received a REST request for a call another node owns forwards the `CallCommands` command here. The
 * route runs it on this node's local commands (never forwards again) and answers the `CommandResult`
 * as JSON. It lives under the account, so the API's Basic auth applies; it needs the hop header, and
 * has no schema so it stays out of the OpenAPI document. Registered only when `deps.localCommands` is
 * given (a cluster node).
 */
import { Type } from 'typebox';
import { Value } from 'typebox/value';

import { ServerError } from '../../errors/server-error.js';
import type { CallCommands } from '../../ports/call-commands.js';
import { FORWARDED_BY_HEADER, type ForwardedCommand, runForwarded } from '../../ports/forwarded-command.js';
import { ContentTypes } from '../../protocol/stream-ws/formats.js';
import type { ApiApp } from './context.js';

const Str = Type.String({ maxLength: 8192 });
const Method = Type.Union([Type.Literal('GET'), Type.Literal('POST')]);
const Uuid = Type.String({ minLength: 1, maxLength: 64 });

const StreamStart = Type.Object({
  serviceUrl: Str,
  bidirectional: Type.Boolean(),
  audioTrack: Type.Union([Type.Literal('inbound'), Type.Literal('outbound'), Type.Literal('both')]),
  streamTimeoutSec: Type.Integer({ minimum: 1 }),
  statusCallbackUrl: Type.Optional(Str),
  statusCallbackMethod: Method,
  contentType: Type.Union(ContentTypes.map((c) => Type.Literal(c))),
  extraHeaders: Type.Optional(Str),
  resumeTimeoutSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 300 })),
  noiseCancellationLevel: Type.Optional(Type.Integer({ minimum: 60, maximum: 100 })),
  playbackExtras: Type.Optional(Type.Boolean()),
});

const Command = Type.Union([
  Type.Object({ op: Type.Literal('startStream'), callUuid: Uuid, req: StreamStart }),
  Type.Object({ op: Type.Literal('stopStream'), callUuid: Uuid, streamId: Uuid, reason: Str }),
  Type.Object({ op: Type.Literal('stopAllStreams'), callUuid: Uuid, reason: Str }),
  Type.Object({ op: Type.Literal('hangup'), callUuid: Uuid, cause: Str }),
  Type.Object({ op: Type.Literal('transfer'), callUuid: Uuid, url: Str, method: Method }),
  Type.Object({ op: Type.Literal('sendDtmf'), callUuid: Uuid, digits: Type.String({ maxLength: 256 }) }),
]);

function commandOf(body: unknown): ForwardedCommand {
  if (!Value.Check(Command, body)) {
    throw new ServerError('ERR_API_INVALID_PARAM', 'not a forwarded command');
  }
  return body;
}

export function registerInternalRoutes(app: ApiApp, prefix: string, local: CallCommands): void {
  app.post(`${prefix}/Internal/Command/`, async (request, reply) => {
    if (request.headers[FORWARDED_BY_HEADER] === undefined) {
      throw new ServerError('ERR_API_NOT_FOUND', 'resource not found');
    }
    const result = await runForwarded(local, commandOf(request.body));
    return reply.code(200).send(result);
  });
}
