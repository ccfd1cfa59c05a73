/**
 * A `CallCommands` command sent from the node that received a REST request to the node that owns the
 * call (issue 12 item 2; docs/cluster.md, "Live registry and forwarding"). The wire is JSON over the
 * owner's REST API: POST {@link forwardPath} with the account's Basic credentials and the
 * {@link FORWARDED_BY_HEADER} hop header; the answer is the owner's `CommandResult` as JSON (200).
 * The owner always runs a forwarded command locally, so a command is never forwarded twice.
 */
import type { CallCommands, CommandResult, HttpMethod, StreamStartRequest } from './call-commands.js';

export type ForwardedCommand =
  | { readonly op: 'startStream'; readonly callUuid: string; readonly req: StreamStartRequest }
  | {
      readonly op: 'stopStream';
      readonly callUuid: string;
      readonly streamId: string;
      readonly reason: string;
    }
  | { readonly op: 'stopAllStreams'; readonly callUuid: string; readonly reason: string }
  | { readonly op: 'hangup'; readonly callUuid: string; readonly cause: string }
  | { readonly op: 'transfer'; readonly callUuid: string; readonly url: string; readonly method: HttpMethod }
  | { readonly op: 'sendDtmf'; readonly callUuid: string; readonly digits: string };

/** The hop header: the id of the node that forwarded the command. */
export const FORWARDED_BY_HEADER = 'x-streamfork-forwarded-by';

/** The internal route, under the account (so the API's Basic auth guards it like every other). */
export function forwardPath(authId: string): string {
  return `/v1/Account/${encodeURIComponent(authId)}/Internal/Command/`;
}

/** Runs a forwarded command on `commands` (the owner's local ones). */
export function runForwarded(commands: CallCommands, cmd: ForwardedCommand): Promise<CommandResult> {
  switch (cmd.op) {
    case 'startStream':
      return commands.startStream(cmd.callUuid, cmd.req);
    case 'stopStream':
      return commands.stopStream(cmd.callUuid, cmd.streamId, cmd.reason);
    case 'stopAllStreams':
      return commands.stopAllStreams(cmd.callUuid, cmd.reason);
    case 'hangup':
      return commands.hangup(cmd.callUuid, cmd.cause);
    case 'transfer':
      return commands.transfer(cmd.callUuid, cmd.url, cmd.method);
    case 'sendDtmf':
      return commands.sendDtmf(cmd.callUuid, cmd.digits);
  }
}
