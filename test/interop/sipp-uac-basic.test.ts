// Interop with a real peer: `sipp -sn uac -m 5` (sipp 3.6, Debian sip-tester) places five calls
// (INVITE with a PCMU offer → 100/200 with our SDP answer → ACK → BYE → 200) against a minimal UAS
// built only from streamfork's SIP modules: NodeSipTransport, the transaction layer, buildResponse,
// dialogs and negotiateAnswer. No media flows (sipp's uac scenario sends none).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { after, before, test } from 'node:test';

import { NodeSipTransport } from '../../src/adapters/sip-transport/node-sip-transport.js';
import { SipTransactionDriver } from '../../src/adapters/sip-transport/sip-transaction-driver.js';
import { buildResponse } from '../../src/protocol/sip/build-response.js';
import {
  acceptRemoteCSeq,
  createUasDialog,
  dialogIdOf,
  matchesDialog,
  type SipDialog,
} from '../../src/protocol/sip/dialog/sip-dialog.js';
import { bodyText } from '../../src/protocol/sip/message-edit.js';
import type { SipRequest } from '../../src/protocol/sip/sip-message.types.js';
import { negotiateAnswer } from '../../src/protocol/sdp/negotiate-answer.js';

const HOST = '127.0.0.1';

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, HOST, () => {
      const { port } = s.address();
      s.close(() => {
        resolve(port);
      });
    });
  });
}

const transport = new NodeSipTransport({ host: HOST, port: 0 });
let driver: SipTransactionDriver;
let port = 0;
let child: ChildProcess | undefined;
const counts = { INVITE: 0, ACK: 0, BYE: 0, answered: 0, malformed: 0 };
const dialogs = new Map<string, SipDialog>();
let tagCounter = 0;

function onInvite(request: SipRequest): void {
  counts.INVITE++;
  const answer = negotiateAnswer(bodyText(request), {
    localAddress: HOST,
    localPort: 40000 + 2 * counts.INVITE,
    origin: { sessionId: String(1000 + counts.INVITE), sessionVersion: 1 },
  });
  if (!answer.ok) {
    driver.input({
      type: 'send-response',
      response: buildResponse(request, answer.error.sipStatus === 488 ? 488 : 400, {
        headers: [{ name: 'Warning', value: answer.error.warning }],
      }),
    });
    return;
  }
  const ok = buildResponse(request, 200, {
    toTag: `sf${++tagCounter}`,
    contact: `<sip:streamfork@${HOST}:${port}>`,
    body: answer.value.answer,
  });
  const dialog = createUasDialog(request, ok);
  if (dialog !== undefined) {
    dialogs.set(dialogIdOf(dialog), dialog);
  }
  counts.answered++;
  driver.input({ type: 'send-response', response: ok });
}

function onBye(request: SipRequest): void {
  counts.BYE++;
  const dialog = [...dialogs.values()].find((d) => matchesDialog(d, request));
  const checked = dialog === undefined ? undefined : acceptRemoteCSeq(dialog, request);
  const status = dialog === undefined ? 481 : checked?.ok === true ? 200 : 500;
  if (dialog !== undefined) {
    dialogs.delete(dialogIdOf(dialog));
  }
  driver.input({ type: 'send-response', response: buildResponse(request, status) });
}

before(async () => {
  port = (await transport.listen()).port;
  transport.onMalformed(() => {
    counts.malformed++;
  });
  driver = new SipTransactionDriver(transport);
  driver.onEffect((e) => {
    if (e.type !== 'request') {
      return;
    }
    switch (e.request.method) {
      case 'INVITE': {
        onInvite(e.request);
        break;
      }
      case 'ACK': {
        counts.ACK++;
        break;
      }
      case 'BYE': {
        onBye(e.request);
        break;
      }
      default: {
        driver.input({ type: 'send-response', response: buildResponse(e.request, 501) });
      }
    }
  });
});

after(async () => {
  if (child?.exitCode === null) {
    child.kill('SIGKILL');
  }
  driver.close();
  await transport.close();
});

test('sipp -sn uac -m 5: five calls INVITE/200(SDP)/ACK/BYE/200 succeed against our UAS (RFC 3261 §13, §15; RFC 3264 §6)', async () => {
  const sippPort = await freeUdpPort();
  const args = [
    '-sn',
    'uac',
    '-m',
    '5',
    '-r',
    '5',
    '-nostdin',
    '-timeout',
    '25',
    '-timeout_error',
    '-recv_timeout',
    '8000',
    `${HOST}:${port}`,
    '-i',
    HOST,
    '-p',
    String(sippPort),
  ];
  const proc = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let output = '';
  proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`sipp did not finish within 30 s:\n${output.slice(-2000)}`));
    }, 30000);
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  assert.equal(exitCode, 0, `sipp exit ${exitCode}:\n${output.slice(-3000)}`);
  const successful = /Successful call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(output);
  assert.ok(successful !== null, `no statistics in sipp output:\n${output.slice(-3000)}`);
  assert.equal(Number(successful[1]), 5, output.slice(-3000));
  assert.deepEqual(
    { INVITE: counts.INVITE, ACK: counts.ACK, BYE: counts.BYE, answered: counts.answered },
    { INVITE: 5, ACK: 5, BYE: 5, answered: 5 },
  );
  assert.equal(counts.malformed, 0);
  assert.equal(dialogs.size, 0, 'every dialog ended with BYE');
});
