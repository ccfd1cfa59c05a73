/**
 * One SIP OPTIONS over UDP (RFC 3261 §11) and the status of its final answer: how the launchers tell
 * that Kamailio (and a node behind it) is ready, and how a drain is watched (503 once draining).
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

import { buildRequest, makeBranch } from '../../protocol/sip/build-request.js';
import { parseSipMessage } from '../../protocol/sip/parse-sip-message.js';
import { serializeSipMessage } from '../../protocol/sip/serialize-sip-message.js';

/**
 * Sends OPTIONS to `host:port` from an ephemeral loopback port; resolves to the final status, or
 * undefined when none arrived within `timeoutMs` (no retransmission: the caller polls).
 */
export function sipOptionsStatus(host: string, port: number, timeoutMs = 1000): Promise<number | undefined> {
  return new Promise((done) => {
    const socket = dgram.createSocket('udp4');
    const token = randomBytes(8).toString('hex');
    const callId = `options-${token}@streamfork`;
    let timer: NodeJS.Timeout | undefined;
    const finish = (status: number | undefined): void => {
      clearTimeout(timer);
      socket.close();
      done(status);
    };
    socket.once('error', () => {
      finish(undefined);
    });
    socket.on('message', (bytes) => {
      const parsed = parseSipMessage(bytes);
      if (
        parsed.ok &&
        parsed.value.kind === 'response' &&
        parsed.value.status >= 200 &&
        parsed.value.headers.some((h) => h.name === 'Call-ID' && h.value === callId)
      ) {
        finish(parsed.value.status);
      }
    });
    socket.bind(0, host, () => {
      const local = socket.address();
      const request = buildRequest({
        method: 'OPTIONS',
        uri: `sip:${host}:${port}`,
        from: `<sip:probe@${host}>`,
        fromTag: token,
        to: `<sip:${host}:${port}>`,
        callId,
        cseq: 1,
        via: { transport: 'UDP', host: local.address, port: local.port, branch: makeBranch(token) },
      });
      timer = setTimeout(() => {
        finish(undefined);
      }, timeoutMs);
      socket.send(serializeSipMessage(request), port, host);
    });
  });
}
