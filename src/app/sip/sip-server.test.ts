/**
 * SipServer takes all its I/O through ports (transport, transaction layer, RTP socket factory, target
 * resolver): here every port is an in-memory fake, so an INVITE is answered, its call runs and the
 * server shuts down without a socket. Proves the server builds no adapter of its own.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { composeRuntime } from '../../compose.js';
import { defaultStreamSettings } from '../../engine/fork/stream-defaults.js';
import { nullLogger } from '../../ports/logger.js';
import type { RtpAddress, RtpSocket, RtpSocketFactory, RtpSocketStats } from '../../ports/rtp-socket.js';
import type { SipTransactionInput, SipTransactions, SipTuEffect } from '../../ports/sip-transactions.js';
import type { SipInbound, SipMalformed, SipTransport } from '../../ports/sip-transport.js';
import type { GuardedResolution, TargetResolver } from '../../ports/target-resolver.js';
import { buildResponse } from '../../protocol/sip/build-response.js';
import { parseSipMessage } from '../../protocol/sip/parse-sip-message.js';
import type { SipRequest, SipResponse } from '../../protocol/sip/sip-message.types.js';
import { clientTransactionId } from '../../protocol/sip/transaction/transaction-key.js';
import { SipServer } from './sip-server.js';

const runtime = composeRuntime({
  stream: defaultStreamSettings('MAXXXXXXXXXXXXXXXXXX', 'token'),
  logger: nullLogger,
});
after(async () => {
  await runtime.close(0);
});

class FakeTransport implements SipTransport {
  listening = false;
  closed = false;
  malformed: ((m: SipMalformed) => void) | undefined;
  listen(): Promise<{ address: string; port: number }> {
    this.listening = true;
    return Promise.resolve({ address: '192.0.2.10', port: 5999 });
  }
  send(): Promise<void> {
    return Promise.resolve();
  }
  onMessage(_handler: (inbound: SipInbound) => void): void {
    // The fake transaction layer below stands in for the driver that would listen here.
  }
  onMalformed(handler: (m: SipMalformed) => void): void {
    this.malformed = handler;
  }
  stats(): { received: number; sent: number; malformed: number; openConnections: number } {
    return { received: 0, sent: 0, malformed: 0, openConnections: 0 };
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** Records what the server sends and answers its BYEs with 200 at once. */
class FakeTransactions implements SipTransactions {
  readonly inputs: SipTransactionInput[] = [];
  closed = false;
  #tu: ((e: SipTuEffect) => void) | undefined;
  readonly size = 0;
  input(input: SipTransactionInput): void {
    this.inputs.push(input);
    if (input.type === 'send-request' && input.request.method === 'BYE') {
      const id = clientTransactionId(input.request) ?? '';
      this.#tu?.({ type: 'response', transactionId: id, response: buildResponse(input.request, 200) });
      this.#tu?.({ type: 'terminated', transactionId: id });
    }
  }
  onEffect(handler: (e: SipTuEffect) => void): void {
    this.#tu = handler;
  }
  close(): void {
    this.closed = true;
  }
  deliver(request: SipRequest, transactionId: string | undefined): void {
    this.#tu?.({
      type: 'request',
      request,
      source: { protocol: 'udp', address: '192.0.2.20', port: 5060 },
      ...(transactionId === undefined ? {} : { transactionId }),
    });
  }
  responses(): SipResponse[] {
    return this.inputs.flatMap((i) => (i.type === 'send-response' ? [i.response] : []));
  }
}

function fakeSocket(port: number, onClose: () => void): RtpSocket & { closedAt: number | undefined } {
  const stats: RtpSocketStats = {
    rtpReceived: 0,
    rtcpReceived: 0,
    malformed: 0,
    lastMalformedCode: undefined,
    otherSource: 0,
    rtpSent: 0,
    rtcpSent: 0,
    sendFailed: 0,
    listenerErrors: 0,
    srtpAuthFailures: 0,
    srtpReplays: 0,
    srtpMalformed: 0,
  };
  let remote: RtpAddress | undefined;
  const socket = {
    localAddress: '192.0.2.10',
    rtpPort: port,
    rtcpPort: port + 1,
    recvBufferBytes: 0,
    get remote() {
      return remote;
    },
    latched: false,
    stats,
    closedAt: undefined as number | undefined,
    setRemote(rtp: RtpAddress) {
      remote = rtp;
    },
    unlatch() {
      // Nothing latched in a fake.
    },
    srtp: false,
    setSrtp() {
      // Plain RTP in a fake.
    },
    onRtp() {
      // No packets arrive.
    },
    onRtcp() {
      // No packets arrive.
    },
    onSendError() {
      // Sends never fail.
    },
    sendRtp() {
      stats.rtpSent++;
      return true;
    },
    sendRtcp() {
      stats.rtcpSent++;
      return true;
    },
    get closed() {
      return socket.closedAt !== undefined;
    },
    close() {
      if (socket.closedAt === undefined) {
        socket.closedAt = Date.now();
        onClose();
      }
      return Promise.resolve();
    },
  };
  return socket;
}

class FakeRtpSockets implements RtpSocketFactory {
  readonly opened: ReturnType<typeof fakeSocket>[] = [];
  portsInUse = 0;
  open(): Promise<RtpSocket> {
    this.portsInUse++;
    const socket = fakeSocket(40000 + 2 * this.opened.length, () => {
      this.portsInUse--;
    });
    this.opened.push(socket);
    return Promise.resolve(socket);
  }
}

const refuseAll: TargetResolver = {
  resolve: (): Promise<GuardedResolution> => Promise.resolve({ ok: false, denied: true, detail: 'test' }),
};

function parseRequest(text: string): SipRequest {
  const parsed = parseSipMessage(Buffer.from(text, 'latin1'));
  assert.ok(parsed.ok && parsed.value.kind === 'request', JSON.stringify(parsed));
  return parsed.value;
}

const SDP = [
  'v=0',
  'o=- 1 1 IN IP4 192.0.2.20',
  's=-',
  'c=IN IP4 192.0.2.20',
  't=0 0',
  'm=audio 30000 RTP/AVP 0',
  '',
].join('\r\n');

function invite(n = 1): SipRequest {
  return parseRequest(
    [
      'INVITE sip:stream@192.0.2.10 SIP/2.0',
      `Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-ports-${n};rport`,
      'Max-Forwards: 70',
      'From: <sip:tester@192.0.2.20>;tag=a1',
      'To: <sip:stream@192.0.2.10>',
      `Call-ID: ports-${n}@192.0.2.20`,
      'CSeq: 1 INVITE',
      'Contact: <sip:tester@192.0.2.20:5060>',
      'Content-Type: application/sdp',
      `Content-Length: ${SDP.length}`,
      '',
      SDP,
    ].join('\r\n'),
  );
}

/** An in-dialog request of the caller (ACK, BYE) on the dialog `ok` set up for `invite(n)`. */
function inDialog(method: 'ACK' | 'BYE', ok: SipResponse, n = 1): SipRequest {
  const toTag = /tag=([^;>\s]+)/.exec(
    ok.headers.find((h) => h.name.toLowerCase() === 'to')?.value ?? '',
  )?.[1];
  return parseRequest(
    [
      `${method} sip:stream@192.0.2.10 SIP/2.0`,
      `Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-ports-${n}-${method};rport`,
      'Max-Forwards: 70',
      'From: <sip:tester@192.0.2.20>;tag=a1',
      `To: <sip:stream@192.0.2.10>;tag=${toTag ?? ''}`,
      `Call-ID: ports-${n}@192.0.2.20`,
      `CSeq: ${method === 'ACK' ? 1 : 2} ${method}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

function fakeServer(maxCalls?: number) {
  const transport = new FakeTransport();
  const transactions = new FakeTransactions();
  const rtpSockets = new FakeRtpSockets();
  const answered: string[] = [];
  const server = new SipServer({
    engine: runtime.engine,
    ports: runtime.ports,
    logger: nullLogger,
    sip: {
      host: '192.0.2.10',
      port: 0,
      transports: ['udp'],
      publicAddress: null,
      allowFrom: ['192.0.2.0/24'],
      inboundAuth: null,
      trunk: null,
      ...(maxCalls === undefined ? {} : { maxCalls }),
    },
    rtp: { host: '192.0.2.10', portMin: 1, portMax: 2, recvBufferBytes: 0 },
    transport,
    transactions,
    rtpSockets,
    targets: refuseAll,
    onInboundCall: (call) => answered.push(call.callUuid),
  });
  return { server, transport, transactions, rtpSockets, answered };
}

test('SipServer runs a call and shuts down on the ports it is given, with no socket of its own', async () => {
  const { server, transport, transactions, rtpSockets, answered } = fakeServer();
  transport.malformed?.({
    bytes: new Uint8Array(1),
    source: { protocol: 'udp', address: '192.0.2.20', port: 5060 },
    error: { code: 'ERR_SIP_BAD_START_LINE', detail: 'x' },
    action: 'dropped',
  });
  assert.equal(server.stats().malformed, 1, "the transport's malformed input is counted");

  assert.deepEqual(await server.start(), { udpPort: 5999, tcpPort: 0 });
  assert.ok(transport.listening);

  transactions.deliver(invite(), 'server-invite-1');
  await new Promise((resolve) => setImmediate(resolve));
  const ok = transactions.responses().find((r) => r.status === 200);
  assert.ok(ok, 'the INVITE is answered through the transaction port');
  assert.equal(rtpSockets.opened.length, 1, "the call's RTP socket comes from the injected factory");
  assert.match(Buffer.from(ok.body).toString('latin1'), /m=audio 40000 /);
  assert.equal(server.stats().rtpPortsInUse, 1);

  transactions.deliver(inDialog('ACK', ok), undefined);
  assert.equal(answered.length, 1, 'the ACK starts the engine call');
  assert.equal(server.stats().liveDialogs, 1);

  // Trunkless dials go through the injected target resolver (which refuses everything here).
  const dialed = await server.dial({ to: 'sip:someone@example.invalid', from: 'x' });
  assert.deepEqual(dialed, { ok: false, cause: 'NETWORK_OUT_OF_ORDER', detail: 'test' });

  await server.stop('NORMAL_CLEARING');
  assert.ok(
    transactions.inputs.some((i) => i.type === 'send-request' && i.request.method === 'BYE'),
    'stop sends BYE',
  );
  assert.notEqual(rtpSockets.opened[0]?.closedAt, undefined, 'the RTP socket is closed');
  assert.equal(server.stats().rtpPortsInUse, 0);
  assert.equal(server.stats().liveDialogs, 0);
  assert.ok(transactions.closed && transport.closed, 'stop closes the transaction layer and the transport');
});

function options(n: number): SipRequest {
  return parseRequest(
    [
      'OPTIONS sip:192.0.2.10 SIP/2.0',
      `Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-probe-${n};rport`,
      'Max-Forwards: 70',
      'From: <sip:probe@192.0.2.20>;tag=p1',
      'To: <sip:192.0.2.10>',
      `Call-ID: probe-${n}@192.0.2.20`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

test('limits.maxCalls and drain: OPTIONS and INVITE get 503 with Retry-After when full or draining; the live call ends on its own', async () => {
  const { server, transactions } = fakeServer(1);
  await server.start();
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  let probes = 0;
  const probe = (): { status: number; reason: string; retryAfter: string | undefined } => {
    transactions.deliver(options(++probes), `server-options-${probes}`);
    const r = transactions.responses().at(-1);
    assert.ok(
      r !== undefined && (r.headers.find((h) => h.name === 'Call-ID')?.value ?? '').startsWith('probe-'),
    );
    return {
      status: r.status,
      reason: r.reason,
      retryAfter: r.headers.find((h) => h.name === 'Retry-After')?.value,
    };
  };
  const finalTo = (n: number): SipResponse | undefined =>
    transactions
      .responses()
      .find(
        (r) =>
          r.status >= 200 &&
          r.headers.some((h) => h.name === 'Call-ID' && h.value === `ports-${n}@192.0.2.20`),
      );

  assert.equal(probe().status, 200, 'ready before any call');
  transactions.deliver(invite(1), 'server-invite-1');
  await tick();
  const ok = finalTo(1);
  assert.equal(ok?.status, 200);
  transactions.deliver(inDialog('ACK', ok), undefined);
  assert.deepEqual(probe(), {
    status: 503,
    reason: 'Service Unavailable (at limits.maxCalls)',
    retryAfter: '5',
  });
  transactions.deliver(invite(2), 'server-invite-2');
  await tick();
  assert.equal(finalTo(2)?.status, 503, 'an INVITE beyond limits.maxCalls gets 503');
  assert.deepEqual(await server.dial({ to: 'sip:someone@example.invalid', from: 'x' }), {
    ok: false,
    cause: 'NORMAL_TEMPORARY_FAILURE',
  });

  const drained = server.drain(5000);
  assert.deepEqual(probe(), { status: 503, reason: 'Service Unavailable (draining)', retryAfter: '30' });
  transactions.deliver(invite(3), 'server-invite-3');
  await tick();
  assert.equal(finalTo(3)?.status, 503, 'a new INVITE while draining gets 503');
  assert.equal(server.stats().liveDialogs, 1, 'the drain leaves the live call up');
  assert.ok(
    !transactions.inputs.some((i) => i.type === 'send-request' && i.request.method === 'BYE'),
    'the drain sends no BYE',
  );

  transactions.deliver(inDialog('BYE', ok), 'server-bye-1');
  assert.equal(await drained, true, 'the drain ends once the caller hung up');
  assert.equal(server.stats().liveDialogs, 0);
  assert.equal(probe().status, 503, 'a drained node stays unavailable');
  await server.stop();
});

test('drain gives up after its timeout and says a call is still up; stop ends it', async () => {
  const { server, transactions } = fakeServer();
  await server.start();
  transactions.deliver(invite(1), 'server-invite-1');
  await new Promise((resolve) => setImmediate(resolve));
  const ok = transactions.responses().find((r) => r.status === 200);
  assert.ok(ok);
  transactions.deliver(inDialog('ACK', ok), undefined);
  const t0 = Date.now();
  assert.equal(await server.drain(200), false);
  assert.ok(Date.now() - t0 >= 190, `the drain waited ${Date.now() - t0} ms`);
  await server.stop('Server Shutdown');
  assert.ok(transactions.inputs.some((i) => i.type === 'send-request' && i.request.method === 'BYE'));
  assert.equal(server.stats().liveDialogs, 0);
});
