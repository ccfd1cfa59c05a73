/**
 * Issue 13 item 1/5: a real Kamailio (deploy/kamailio/registrar.cfg: registrar, usrloc, auth with a
 * plaintext credential check) as the registrar and proxy in front of `streamfork serve`.
 * - streamfork registers two bindings (alice over UDP, bob over TCP): each REGISTER is challenged (401,
 *   qop=auth) and answered; the 10 s they ask for is below Kamailio's 20 s minimum, so Kamailio answers
 *   423 and they register again with its Min-Expires (the REST endpoint shows 20 s granted).
 * - sipp calls each AOR through Kamailio; Kamailio's usrloc sends the INVITE to the registered Contact,
 *   over the binding's transport; `sip.allowFrom` excludes loopback, so only the registration rule
 *   admits it; the answer XML is fetched and the call completes.
 * - Kamailio restarted (its bindings are in memory, so lost): both bindings register again; the TCP one
 *   sees the outage at once (connection refused) and backs off, and recovers within one backoff step of
 *   Kamailio's return (figures printed); a new call to alice works.
 * - SIGTERM: streamfork unregisters (Expires: 0) before it exits.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

import { freePort } from '../../src/adapters/launch/free-ports.js';
import { backoffMs } from '../../src/protocol/sip/registration/registration.js';
import { startHttpRecorder } from '../helpers/http-recorder.js';
import { startKamailio, type RunningKamailio } from '../helpers/kamailio.js';
import { apiGet, AUTH_ID, freeTcpPort, serveArgs, startServe, TOKEN, waitUntil } from './helpers/serve.js';
import {
  cleanupAfterTests,
  fillScenario,
  freeUdpPort,
  HOST,
  runTool,
  sippArgs,
  sippTotals,
} from './helpers/sipp.js';

const cleanups = cleanupAfterTests();
const REGISTRAR_CFG = fileURLToPath(new URL('../../deploy/kamailio/registrar.cfg', import.meta.url));
const MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules';
const PASS_ALICE = 'alice-pw-7Q';
const PASS_BOB = 'bob-pw-3Z';

interface Binding {
  id: string;
  state: string;
  transport: string;
  granted_sec: number | null;
  expires_at: string | null;
  failures: number;
  next_attempt_at: string | null;
  last_error_status: number | null;
}

test(
  'Kamailio as registrar: digest + 423 registration over UDP and TCP, calls through it, re-registration after a restart, unregister on exit',
  { timeout: 150_000 },
  async (t) => {
    for (const m of ['registrar', 'usrloc', 'auth', 'tm', 'sl', 'rr', 'sanity']) {
      // A missing module fails the test naming the package, never a skip.
      assert.ok(
        existsSync(join(MODULES, `${m}.so`)),
        `kamailio module ${m} missing: apt-get install kamailio`,
      );
    }
    const root = mkdtempSync(join(tmpdir(), 'streamfork-registrar-'));
    cleanups.push(() => {
      rmSync(root, { recursive: true, force: true });
    });
    const answer = await startHttpRecorder();
    cleanups.push(() => answer.close());
    answer.serve('/answer', '<Response><Wait length="60"/></Response>');

    const kamPort = await freePort(HOST, ['udp', 'tcp']);
    const defines = {
      MIN_EXPIRES: 20,
      AUTH_USER_1: '"alice"',
      AUTH_PASS_1: `"${PASS_ALICE}"`,
      AUTH_USER_2: '"bob"',
      AUTH_PASS_2: `"${PASS_BOB}"`,
    };
    let kamRun = 0;
    const startRegistrar = async (): Promise<RunningKamailio> => {
      const dir = join(root, `kamailio-${++kamRun}`);
      mkdirSync(dir);
      const k = await startKamailio({ nodes: [], dir, configFile: REGISTRAR_CFG, port: kamPort, defines });
      cleanups.push(() => k.stop());
      return k;
    };
    let kamailio = await startRegistrar();

    const sipPort = await freeUdpPort();
    const httpPort = await freeTcpPort();
    const dataDir = join(root, 'node');
    mkdirSync(dataDir);
    const rtpMin = 30000 + 2 * Math.floor(Math.random() * 10000);
    const registrar = `sip:${HOST}:${kamPort}`;
    const serve = await startServe(
      serveArgs({ dataDir, sipPort, httpPort, answerUrl: answer.url('/answer') }),
      {
        STREAMFORK_SIP_TRANSPORTS: 'udp,tcp',
        // Loopback is not allowed: only the registration rule admits the INVITEs Kamailio relays.
        STREAMFORK_SIP_ALLOW_FROM: '192.0.2.1',
        STREAMFORK_RTP_PORT_MIN: String(rtpMin),
        STREAMFORK_RTP_PORT_MAX: String(rtpMin + 40),
        STREAMFORK_SIP_REGISTRATIONS: JSON.stringify([
          { registrar, username: 'alice', password: PASS_ALICE, expiresSec: 10, transport: 'udp' },
          { registrar, username: 'bob', password: PASS_BOB, expiresSec: 10, transport: 'tcp' },
        ]),
      },
    );
    cleanups.push(async () => {
      if (serve.child.exitCode === null) {
        serve.child.kill('SIGKILL');
        await serve.exited;
      }
    });
    const bindings = async (): Promise<Binding[]> =>
      ((await apiGet(httpPort, 'Registration/')) as { objects: Binding[] }).objects;
    const stateOf = async (id: string): Promise<Binding> => {
      const b = (await bindings()).find((x) => x.id === id);
      assert.ok(b !== undefined);
      return b;
    };

    // 1. Both register: challenged, 423 with Min-Expires 20, registered for 20 s.
    await waitUntil(
      'both bindings registered',
      async () => (await bindings()).every((b) => b.state === 'registered'),
      10_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${kamailio.log().slice(-3000)}\n${serve.stderr().slice(-2000)}`);
    });
    for (const b of await bindings()) {
      assert.equal(b.granted_sec, 20, `binding ${b.id}: Min-Expires honoured`);
    }
    const metrics = await (
      await fetch(`http://${HOST}:${httpPort}/metrics`, {
        headers: { authorization: 'Basic ' + Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64') },
      })
    ).text();
    assert.match(metrics, /^streamfork_sip_registrations\{state="registered"\} 2$/m);
    assert.match(metrics, /^streamfork_sip_registrations\{state="retrying"\} 0$/m);
    const log1 = kamailio.log();
    assert.match(log1, /registered alice contact <sip:sf-[0-9a-f]+@127\.0\.0\.1:\d+>/);
    assert.match(
      log1,
      /registered bob contact <sip:sf-[0-9a-f]+@127\.0\.0\.1:\d+;transport=tcp>.* from tcp:/,
    );

    // 2. A call to each AOR through Kamailio reaches streamfork and runs its answer XML.
    const sink = await freeUdpPort(true);
    const call = async (user: string, caseName: string): Promise<void> => {
      const before = answer.requestsTo('/answer').length;
      const scenario = fillScenario('uac-via-proxy.xml', root, { RTP_PORT: String(sink), HOLD_MS: '800' });
      const run = await runTool(
        'sipp',
        [
          ...sippArgs(`${HOST}:${kamPort}`, await freeUdpPort(), await freeUdpPort(true), 30),
          '-s',
          user,
          '-sf',
          scenario,
          '-m',
          '1',
        ],
        40_000,
        root,
      );
      assert.equal(
        run.code,
        0,
        `sipp (${caseName}) exit ${run.code}:\n${run.output.slice(-2000)}\n${kamailio.log().slice(-2000)}\n${serve.stderr().slice(-2000)}`,
      );
      assert.deepEqual(sippTotals(run.output), { successful: 1, failed: 0 }, caseName);
      assert.equal(
        answer.requestsTo('/answer').length,
        before + 1,
        `${caseName}: the answer URL was fetched`,
      );
    };
    await call('alice', 'alice over UDP');
    await call('bob', 'bob over TCP');
    assert.match(
      kamailio.log(),
      /INVITE for bob relayed to contact sip:sf-[0-9a-f]+@127\.0\.0\.1:\d+;transport=tcp/,
    );

    // 3. Kamailio restarts (bindings lost). The TCP binding's refresh fails at once and backs off.
    await kamailio.stop();
    await waitUntil('bob retrying', async () => (await stateOf('1')).state === 'retrying', 15_000);
    const downFor = 3000;
    await new Promise((r) => setTimeout(r, downFor));
    kamailio = await startRegistrar();
    const backAt = Date.now();
    const bobAtReturn = await stateOf('1');
    const step = backoffMs(bobAtReturn.failures);
    // When each binding's first 200 from the new Kamailio came: its expiry minus the granted 20 s.
    const since = new Map<string, number>();
    await waitUntil(
      'both registered with the restarted Kamailio',
      async () => {
        for (const b of await bindings()) {
          const at = b.expires_at === null ? NaN : Date.parse(b.expires_at) - (b.granted_sec ?? 0) * 1000;
          if (b.state === 'registered' && at >= backAt - 50 && !since.has(b.id)) {
            since.set(b.id, at - backAt);
          }
        }
        return since.size === 2;
      },
      step + 20_000,
    );
    const bobMs = Math.max(0, since.get('1') ?? NaN);
    const aliceMs = Math.max(0, since.get('0') ?? NaN);
    t.diagnostic(
      `registrar back: TCP binding re-registered after ${bobMs} ms (backoff step in effect ${step} ms, ${bobAtReturn.failures} failures); UDP binding after ${aliceMs} ms (at its next refresh: a UDP registrar's restart is not seen before); outage ${downFor} ms after the first failure`,
    );
    assert.ok(
      bobMs <= step + 1000,
      `TCP binding re-registered ${bobMs} ms after the registrar returned (step ${step} ms)`,
    );
    assert.match(kamailio.log(), /registered alice contact/);
    assert.match(kamailio.log(), /registered bob contact/);
    await call('alice', 'alice after the restart');

    // 4. SIGTERM: streamfork unregisters (Expires: 0) on its way out.
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0, serve.stderr().slice(-2000));
    const last = kamailio.log();
    assert.match(last, /registered alice contact <[^>]+> expires 0/, last.slice(-2000));
    assert.match(last, /registered bob contact <[^>]+> expires 0/, last.slice(-2000));
  },
);
