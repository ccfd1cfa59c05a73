/**
 * Issue 11: a failure on a call's send path ends that call cleanly. An RtpMediaLeg whose socket throws,
 * or reports a failed send later, hangs up once with NETWORK_OUT_OF_ORDER (BYE requested, `hangup`
 * emitted) and closes its socket; the RTCP BYE of a hangup failing does not stop the socket closing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Clock } from '../../ports/clock.js';
import type { Random } from '../../ports/random.js';
import type { RtpAddress, RtpSendFailure, RtpSocket, RtpSocketStats } from '../../ports/rtp-socket.js';
import { FRAME_SAMPLES, type LegHangup } from './media-leg.types.js';
import { RtpMediaLeg, SEND_FAILED_CAUSE } from './rtp-media-leg.js';

/** A socket whose sends throw (`throwRtp`/`throwRtcp`) and that can report a failure as the OS would. */
class FailingSocket implements RtpSocket {
  readonly localAddress = '127.0.0.1';
  readonly rtpPort = 40000;
  readonly rtcpPort = 40001;
  readonly recvBufferBytes = 1 << 20;
  readonly remote: RtpAddress | undefined = { address: '127.0.0.1', port: 99999 };
  readonly latched = false;
  readonly stats = {} as RtpSocketStats;
  throwRtp = false;
  throwRtcp = false;
  rtpSent = 0;
  rtcpSent = 0;
  closeCalls = 0;
  #onSendError: (f: RtpSendFailure) => void = () => undefined;
  setRemote(): void {
    /* fixed remote */
  }
  readonly srtp = false;
  setSrtp(): void {
    // plain RTP only
  }
  unlatch(): void {
    /* not used */
  }
  onRtp(): void {
    /* nothing arrives */
  }
  onRtcp(): void {
    /* nothing arrives */
  }
  onSendError(l: (f: RtpSendFailure) => void): void {
    this.#onSendError = l;
  }
  report(code: string): void {
    this.#onSendError({ kind: 'rtp', code, message: code, to: { address: '255.255.255.255', port: 4000 } });
  }
  sendRtp(): boolean {
    if (this.throwRtp) {
      throw Object.assign(new RangeError('Port should be > 0 and < 65536'), { code: 'ERR_SOCKET_BAD_PORT' });
    }
    this.rtpSent++;
    return true;
  }
  sendRtcp(): boolean {
    if (this.throwRtcp) {
      throw Object.assign(new RangeError('Port should be > 0 and < 65536'), { code: 'ERR_SOCKET_BAD_PORT' });
    }
    this.rtcpSent++;
    return true;
  }
  get closed(): boolean {
    return this.closeCalls > 0;
  }
  close(): Promise<void> {
    this.closeCalls++;
    return Promise.resolve();
  }
}

function legOn(socket: FailingSocket) {
  const clock: Clock = { monotonicMs: () => 0, epochMs: () => 1_700_000_000_000 };
  const random: Random = { uuid: () => 'x', bytes: (n) => new Uint8Array(n), int: () => 1 };
  const requested: string[] = [];
  const failures: RtpSendFailure[] = [];
  const hangups: LegHangup[] = [];
  const leg = new RtpMediaLeg({
    socket,
    clock,
    random,
    codec: 'PCMU',
    cname: 'test',
    rtcpIntervalTicks: 3,
    onHangupRequested: (c) => requested.push(c),
    onSendFailed: (f) => failures.push(f),
  });
  leg.on('hangup', (h) => hangups.push(h));
  return { leg, requested, failures, hangups };
}

const frame = new Int16Array(FRAME_SAMPLES);

test('issue 11: an RTP send that throws ends the call once: BYE requested, hangup NETWORK_OUT_OF_ORDER, socket closed', () => {
  const socket = new FailingSocket();
  socket.throwRtp = true;
  socket.throwRtcp = true; // the hangup's RTCP BYE fails too
  const { leg, requested, failures, hangups } = legOn(socket);
  assert.doesNotThrow(() => {
    leg.writeOutbound(frame);
  });
  assert.equal(SEND_FAILED_CAUSE, 'NETWORK_OUT_OF_ORDER');
  assert.deepEqual(requested, ['NETWORK_OUT_OF_ORDER']);
  assert.deepEqual(hangups, [{ cause: 'NETWORK_OUT_OF_ORDER', source: 'error' }]);
  assert.equal(failures[0]?.code, 'ERR_SOCKET_BAD_PORT');
  assert.equal(socket.closeCalls, 1);
  leg.writeOutbound(frame);
  leg.hangup('NORMAL_CLEARING');
  leg.parentClosed({ cause: 'NORMAL_CLEARING', source: 'caller' });
  assert.equal(requested.length, 1, 'ended once');
  assert.equal(hangups.length, 1);
  assert.equal(socket.closeCalls, 1);
});

test('issue 11: a periodic RTCP report that throws ends the call the same way', () => {
  const socket = new FailingSocket();
  socket.throwRtcp = true;
  const { leg, requested, hangups } = legOn(socket);
  leg.writeOutbound(frame);
  leg.writeOutbound(frame);
  assert.deepEqual(requested, []);
  leg.writeOutbound(frame); // third tick: the report
  assert.deepEqual(requested, ['NETWORK_OUT_OF_ORDER']);
  assert.equal(hangups.length, 1);
  assert.equal(socket.closeCalls, 1);
});

test('issue 11: a failure the socket reports later (EACCES) ends the call; later reports are ignored', () => {
  const socket = new FailingSocket();
  const { leg, requested, failures, hangups } = legOn(socket);
  leg.writeOutbound(frame);
  assert.equal(socket.rtpSent, 1);
  socket.report('EACCES');
  socket.report('EACCES');
  assert.deepEqual(requested, ['NETWORK_OUT_OF_ORDER']);
  assert.equal(failures.length, 1);
  assert.equal(hangups.length, 1);
  assert.equal(socket.closeCalls, 1);
  assert.equal(socket.rtcpSent, 1, 'RTCP BYE sent once');
});

test("issue 11: our own hangup's RTCP BYE throwing does not stop the socket closing", () => {
  const socket = new FailingSocket();
  socket.throwRtcp = true;
  const { leg, requested, hangups } = legOn(socket);
  assert.doesNotThrow(() => {
    leg.hangup('NORMAL_CLEARING');
  });
  assert.deepEqual(requested, ['NORMAL_CLEARING']);
  assert.deepEqual(hangups, []);
  assert.equal(socket.closeCalls, 1);
});
