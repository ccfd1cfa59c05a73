import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { AesCm } from './aes-cm.js';
import { ReplayWindow } from './replay-window.js';
import { estimateRoc, SrtpContext } from './srtp-context.js';
import type { SrtpMasterKey, SrtpSuiteName } from './srtp-suites.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

test('AES-CM keystream: RFC 3711 Appendix B.2', () => {
  const cm = new AesCm(hex('2B7E151628AED2A6ABF7158809CF4F3C'));
  const stream = cm.keystream(hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000'), 48);
  assert.equal(toHex(stream.subarray(0, 16)), 'E03EAD0935C95E80E166B16DD92B4EB4');
  assert.equal(toHex(stream.subarray(16, 32)), 'D23513162B02D0F72A43A2FE4A5F97AB');
  assert.equal(toHex(stream.subarray(32, 48)), '41E95B3BB0A2E8DD477901E4FCA894C0');
});

test('key derivation: RFC 3711 Appendix B.3', () => {
  const ctx = new SrtpContext({
    suite: 'AES_CM_128_HMAC_SHA1_80',
    key: hex('E1F97A0D3E018BE0D64FA32C06DE4139'),
    salt: hex('0EC675AD498AFEEBB6960B3AABE6'),
  });
  const keys = ctx.rtpSessionKeys;
  assert.equal(toHex(keys.encryptionKey), 'C61E7A93744F39EE10734AFE3FF7A087');
  assert.equal(toHex(keys.salt), '30CBBC08863D8C85D49DB34A9AE1');
  assert.equal(toHex(keys.authKey), 'CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
});

function master(suite: SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_80', seed = 1): SrtpMasterKey {
  const key = new Uint8Array(16).map((_, i) => (i * 7 + seed) & 0xff);
  const salt = new Uint8Array(14).map((_, i) => (i * 13 + seed * 3) & 0xff);
  return { suite, key, salt };
}

/** A PCMU-shaped RTP packet in a buffer with room for the tag. */
function rtp(seq: number, ssrc = 0x11223344, payloadByte = 0x55): { buf: Uint8Array; length: number } {
  const buf = new Uint8Array(1500);
  buf[0] = 0x80;
  buf[1] = 0;
  buf[2] = seq >>> 8;
  buf[3] = seq & 0xff;
  buf.set([0, 0, 0x01, 0x40], 4);
  buf.set([ssrc >>> 24, (ssrc >>> 16) & 0xff, (ssrc >>> 8) & 0xff, ssrc & 0xff], 8);
  buf.fill(payloadByte, 12, 172);
  return { buf, length: 172 };
}

for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
  test(`${suite}: protect then unprotect gives the packet back; the payload is encrypted`, () => {
    const tx = new SrtpContext(master(suite));
    const rx = new SrtpContext(master(suite));
    const { buf, length } = rtp(1000);
    const plain = buf.slice(0, length);
    const p = tx.protectRtp(buf, length);
    assert.ok(p.ok);
    assert.equal(p.length, length + (suite.endsWith('80') ? 10 : 4));
    assert.deepEqual(buf.subarray(0, 12), plain.subarray(0, 12), 'header stays clear');
    assert.notDeepEqual(buf.subarray(12, length), plain.subarray(12, length));
    const u = rx.unprotectRtp(buf, p.length);
    assert.deepEqual(u, { ok: true, length });
    assert.deepEqual(buf.subarray(0, length), plain);
  });
}

test('a tampered tag, payload or header is rejected as auth-failed and does not change state', () => {
  const tx = new SrtpContext(master());
  const rx = new SrtpContext(master());
  for (const at of [171, 20, 3, 175]) {
    const { buf, length } = rtp(5);
    const p = tx.protectRtp(buf, length);
    assert.ok(p.ok);
    buf[at] = (buf[at] ?? 0) ^ 0x01;
    assert.deepEqual(rx.unprotectRtp(buf, p.length), { ok: false, reason: 'auth-failed' }, `flip at ${at}`);
  }
  const good = rtp(5);
  const gp = tx.protectRtp(good.buf, good.length);
  assert.ok(gp.ok);
  assert.ok(rx.unprotectRtp(good.buf, gp.length).ok, 'the forged seq 5 did not enter the replay window');
  // A packet with the wrong key is refused too.
  const other = new SrtpContext(master('AES_CM_128_HMAC_SHA1_80', 9));
  const { buf, length } = rtp(6);
  const p = other.protectRtp(buf, length);
  assert.ok(p.ok);
  assert.deepEqual(rx.unprotectRtp(buf, p.length), { ok: false, reason: 'auth-failed' });
});

test('replayed packets are rejected; so are packets below the window', () => {
  const tx = new SrtpContext(master());
  const rx = new SrtpContext(master(), { replayWindow: 64 });
  const sent: Uint8Array[] = [];
  for (let seq = 0; seq < 200; seq++) {
    const { buf, length } = rtp(seq);
    const p = tx.protectRtp(buf, length);
    assert.ok(p.ok);
    sent.push(buf.slice(0, p.length));
  }
  const deliver = (i: number): string => {
    const copy = Uint8Array.from(sent[i] ?? []);
    const u = rx.unprotectRtp(copy, copy.length);
    return u.ok ? 'ok' : u.reason;
  };
  assert.equal(deliver(10), 'ok');
  assert.equal(deliver(10), 'replayed');
  assert.equal(deliver(150), 'ok');
  assert.equal(deliver(100), 'ok', 'late but inside the window');
  assert.equal(deliver(100), 'replayed');
  assert.equal(deliver(86), 'too-old', '150 - 64 = 86 is just below the window');
  assert.equal(deliver(87), 'ok');
  assert.equal(deliver(199), 'ok');
});

test('rollover counter: seq 65535 -> 0 increments the ROC on both sides, and a late pre-wrap packet still decrypts', () => {
  const tx = new SrtpContext(master());
  const rx = new SrtpContext(master());
  const seqs = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2];
  const out: Uint8Array[] = [];
  for (const seq of seqs) {
    const { buf, length } = rtp(seq, 0x11223344, seq & 0xff);
    const p = tx.protectRtp(buf, length);
    assert.ok(p.ok);
    out.push(buf.slice(0, p.length));
  }
  // Deliver in order except 65535, which arrives after 0 and 1.
  const order = [0, 1, 2, 3, 4, 6, 7, 5, 8];
  for (const i of order) {
    const pkt = Uint8Array.from(out[i] ?? []);
    const u = rx.unprotectRtp(pkt, pkt.length);
    assert.ok(u.ok, `packet seq ${seqs[i]}`);
    assert.equal(pkt[12], (seqs[i] ?? 0) & 0xff, `payload of seq ${seqs[i]}`);
  }
  // The same seq 0 with ROC 0 (what a receiver that missed the wrap would assume) differs from ROC 1:
  const fresh = new SrtpContext(master());
  const pkt = Uint8Array.from(out[6] ?? []);
  assert.deepEqual(fresh.unprotectRtp(pkt, pkt.length), { ok: false, reason: 'auth-failed' });
});

test('estimateRoc follows RFC 3711 Appendix A', () => {
  assert.equal(estimateRoc(0, 100, 101), 0);
  assert.equal(estimateRoc(0, 65535, 0), 1);
  assert.equal(estimateRoc(1, 2, 65534), 0);
  assert.equal(estimateRoc(0, 10, 40000), -1);
  assert.equal(estimateRoc(3, 40000, 100), 4);
  assert.equal(estimateRoc(3, 40000, 39000), 3);
});

test('malformed packets are reported, never thrown', () => {
  const rx = new SrtpContext(master());
  assert.deepEqual(rx.unprotectRtp(new Uint8Array(8), 8), { ok: false, reason: 'malformed' });
  const v1 = rtp(1);
  v1.buf[0] = 0x40;
  assert.deepEqual(rx.unprotectRtp(v1.buf, v1.length), { ok: false, reason: 'malformed' });
  const ext = rtp(1);
  ext.buf[0] = 0x90; // X set, extension length larger than the packet
  ext.buf[14] = 0xff;
  assert.deepEqual(rx.unprotectRtp(ext.buf, 30), { ok: false, reason: 'malformed' });
  assert.deepEqual(rx.unprotectRtcp(new Uint8Array(10), 10), { ok: false, reason: 'malformed' });
  const tx = new SrtpContext(master());
  const tight = rtp(1);
  assert.deepEqual(tx.protectRtp(tight.buf.subarray(0, 172), 172), { ok: false, reason: 'no-room' });
});

test('CSRCs and a header extension stay in the clear and authenticated', () => {
  const tx = new SrtpContext(master());
  const rx = new SrtpContext(master());
  const { buf } = rtp(7);
  buf[0] = 0x91; // X=1, CC=1
  buf.set([0, 0, 0, 9], 12); // CSRC
  buf.set([0xbe, 0xde, 0, 1, 1, 2, 3, 4], 16); // one-word extension
  const length = 24 + 160;
  const plain = buf.slice(0, length);
  const p = tx.protectRtp(buf, length);
  assert.ok(p.ok);
  assert.deepEqual(buf.subarray(0, 24), plain.subarray(0, 24));
  assert.notDeepEqual(buf.subarray(24, length), plain.subarray(24, length));
  assert.ok(rx.unprotectRtp(buf, p.length).ok);
  assert.deepEqual(buf.subarray(0, length), plain);
});

test('SRTCP: protect then unprotect, index and E flag, replay and tamper rejection, 80-bit tag on _32', () => {
  for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
    const tx = new SrtpContext(master(suite));
    const rx = new SrtpContext(master(suite));
    const packets: Uint8Array[] = [];
    for (let n = 0; n < 3; n++) {
      const buf = new Uint8Array(200);
      // RR with no report blocks (8 octets) + SDES-like filler to make it longer.
      buf.set([
        0x80, 201, 0, 1, 0xca, 0xfe, 0xba, 0xbe, 0x81, 202, 0, 2, 0xca, 0xfe, 0xba, 0xbe, 1, 2, 65, 66,
      ]);
      const plain = buf.slice(0, 20);
      const p = tx.protectRtcp(buf, 20);
      assert.ok(p.ok);
      assert.equal(p.length, 20 + 4 + 10);
      assert.deepEqual(buf.subarray(0, 8), plain.subarray(0, 8));
      assert.equal(buf[20], 0x80, 'E flag');
      assert.equal(buf[23], n, 'SRTCP index');
      packets.push(buf.slice(0, p.length));
    }
    const copy = (i: number): Uint8Array => Uint8Array.from(packets[i] ?? []);
    const a = copy(1);
    assert.deepEqual(rx.unprotectRtcp(a, a.length), { ok: true, length: 20 });
    assert.deepEqual(Array.from(a.subarray(16, 20)), [1, 2, 65, 66]);
    const again = copy(1);
    assert.deepEqual(rx.unprotectRtcp(again, again.length), { ok: false, reason: 'replayed' });
    const older = copy(0);
    assert.ok(rx.unprotectRtcp(older, older.length).ok);
    const bad = copy(2);
    bad[10] = (bad[10] ?? 0) ^ 4;
    assert.deepEqual(rx.unprotectRtcp(bad, bad.length), { ok: false, reason: 'auth-failed' });
  }
});

test('ReplayWindow: refuses sizes below 64, tracks the highest index', () => {
  assert.throws(() => new ReplayWindow(32), RangeError);
  const w = new ReplayWindow(64);
  assert.equal(w.check(0), 'new');
  w.accept(0);
  assert.equal(w.check(0), 'replayed');
  w.accept(1000);
  assert.equal(w.highest, 1000);
  assert.equal(w.check(936), 'too-old');
  assert.equal(w.check(937), 'new');
  assert.equal(w.check(1000), 'replayed');
});

test('random datagrams: unprotect never throws and never accepts (property)', () => {
  const rx = new SrtpContext(master());
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), (bytes) => {
      const a = Uint8Array.from(bytes);
      const b = Uint8Array.from(bytes);
      const r1 = rx.unprotectRtp(a, a.length);
      const r2 = rx.unprotectRtcp(b, b.length);
      return !r1.ok && !r2.ok;
    }),
    { numRuns: 2000 },
  );
});
