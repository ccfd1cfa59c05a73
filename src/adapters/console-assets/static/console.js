// streamfork web console (docs/console.md). Plain ES module, no framework, no external files.
// Every value from a call (numbers, URLs, messages) goes into the page as text, never as HTML.

const $ = (id) => document.getElementById(id);

/** Counters the browser test reads (window.__console). */
const stats = {
  rowShownAtMs: {},
  callStartedAtMs: {},
  audio: {
    frames: { inbound: 0, outbound: 0 },
    nonZeroSamples: { inbound: 0, outbound: 0 },
    sumSquares: { inbound: 0, outbound: 0 },
    samples: { inbound: 0, outbound: 0 },
    scheduled: 0,
    /** Frame left the call → arrived in the page (ms). */
    arrivalMs: [],
    /** Frame left the call → scheduled to be heard (arrival + playout cushion + output latency). */
    latenciesMs: [],
    outputLatencyMs: 0,
  },
};
window.__console = stats;

let csrfToken = '';
/** Live calls by uuid: the view from the snapshot, updated by events. */
const calls = new Map();
let lastId = 0;
let selected = null;
/** The selected call's last view once it has ended (its streams stay listed with their final status). */
let selectedEnded = null;
/** Events of the selected call that came while its timeline was being fetched (null: not fetching). */
let pending = null;
let timelineLastId = 0;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') {
      node.className = v;
    } else if (k.startsWith('on')) {
      node.addEventListener(k.slice(2), v);
    } else {
      node.setAttribute(k, v);
    }
  }
  for (const c of children) {
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const time = (ms) => (ms === null || ms === undefined ? '' : new Date(ms).toLocaleTimeString());
const clock = (ms) => {
  const d = new Date(ms);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
};

async function api(path, init = {}) {
  const res = await fetch(path, { credentials: 'same-origin', ...init });
  if (res.status === 401) {
    location.href = '/console/login';
    throw new Error('logged out');
  }
  return res;
}

function post(path) {
  return api(path, { method: 'POST', headers: { 'x-csrf-token': csrfToken } });
}

// ---- live calls -------------------------------------------------------------------------------

function renderCalls() {
  const body = $('calls').tBodies[0];
  const rows = [];
  for (const c of calls.values()) {
    const live = c.streams.filter((s) => s.status === 'initiated' || s.status === 'in-progress').length;
    const row = el(
      'tr',
      { 'data-call-uuid': c.callUuid, class: c.callUuid === selected ? 'selected' : '' },
      el('td', {}, time(c.startedAtMs)),
      el('td', {}, c.direction),
      el('td', {}, c.from),
      el('td', {}, c.to),
      el('td', {}, c.answeredAtMs === null ? 'ringing' : 'answered'),
      el('td', {}, String(live)),
      el(
        'td',
        {},
        el('button', { type: 'button', class: 'open', onclick: () => openCall(c.callUuid) }, 'Open'),
        ' ',
        el(
          'button',
          { type: 'button', class: 'danger hangup', onclick: () => hangup(c.callUuid) },
          'Hang up',
        ),
      ),
    );
    rows.push(row);
  }
  body.replaceChildren(...rows);
  const now = Date.now();
  for (const c of calls.values()) {
    if (stats.rowShownAtMs[c.callUuid] === undefined) {
      stats.rowShownAtMs[c.callUuid] = now;
      stats.callStartedAtMs[c.callUuid] = c.startedAtMs;
    }
  }
  $('live-count').textContent = String(calls.size);
  $('no-calls').hidden = calls.size > 0;
}

function applyEvent(e) {
  const c = calls.get(e.callUuid);
  switch (e.type) {
    case 'call.started':
      calls.set(e.callUuid, {
        callUuid: e.callUuid,
        direction: e.direction,
        from: e.from,
        to: e.to,
        startedAtMs: e.startedAtMs,
        answeredAtMs: null,
        streams: [],
      });
      break;
    case 'call.answered':
      if (c) c.answeredAtMs = e.atMs;
      break;
    case 'stream.started':
      if (c) {
        c.streams.push({
          streamId: e.streamId,
          serviceUrl: e.serviceUrl,
          status: 'initiated',
          audioTrack: e.audioTrack,
          bidirectional: e.bidirectional,
          contentType: e.contentType,
          startedAtMs: e.atMs,
        });
      }
      break;
    case 'stream.status':
      for (const s of c ? c.streams : []) {
        if (s.streamId === e.streamId) s.status = e.status;
      }
      break;
    case 'call.ended':
      if (e.callUuid === selected) selectedEnded = c ?? null;
      calls.delete(e.callUuid);
      delete stats.rowShownAtMs[e.callUuid];
      delete stats.callStartedAtMs[e.callUuid];
      // The record is written just after the event: read the history a little later.
      setTimeout(loadHistory, 300);
      setTimeout(loadHistory, 1500);
      break;
    default:
      return false;
  }
  return true;
}

function connectFeed() {
  const source = new EventSource('/console/api/events');
  source.addEventListener('snapshot', (m) => {
    const snap = JSON.parse(m.data);
    calls.clear();
    for (const c of snap.calls) calls.set(c.callUuid, { ...c, streams: [...c.streams] });
    lastId = snap.lastId;
    $('feed-state').textContent = 'live';
    renderCalls();
    if (selected) renderStreams();
  });
  source.addEventListener('message', (m) => {
    const id = Number(m.lastEventId);
    if (id <= lastId) return;
    lastId = id;
    const e = JSON.parse(m.data);
    if (applyEvent(e)) renderCalls();
    if (e.callUuid === selected) {
      if (pending !== null) {
        pending.push({ id, event: e });
      } else if (id > timelineLastId) {
        timelineLastId = id;
        appendTimeline({ id, event: e });
      }
      renderStreams();
    }
  });
  source.addEventListener('error', () => {
    $('feed-state').textContent = 'reconnecting…';
  });
}

// ---- one call: streams, timeline, audio ----------------------------------------------------------

function renderStreams() {
  const c = calls.get(selected) ?? selectedEnded;
  const body = $('streams').tBodies[0];
  if (!c) {
    body.replaceChildren();
    return;
  }
  body.replaceChildren(
    ...c.streams.map((s) => {
      const live = s.status === 'initiated' || s.status === 'in-progress';
      return el(
        'tr',
        { 'data-stream-id': s.streamId },
        el('td', {}, el('code', {}, s.streamId.slice(0, 8))),
        el('td', { class: 'wrap' }, s.serviceUrl),
        el('td', {}, `${s.audioTrack}${s.bidirectional ? ', bidirectional' : ''}`),
        el('td', {}, s.status),
        el(
          'td',
          {},
          live
            ? el(
                'button',
                { type: 'button', class: 'danger stop', onclick: () => stopStream(selected, s.streamId) },
                'Stop',
              )
            : '',
        ),
      );
    }),
  );
}

function describe(e) {
  switch (e.type) {
    case 'call.started':
      return `${e.direction} ${e.from} → ${e.to}`;
    case 'call.answered':
      return `answer URL ${e.answerUrl}`;
    case 'call.xml':
      return `${e.ok ? 'XML fetched' : 'XML rejected'} ${e.url} (${e.issues.length} issue${e.issues.length === 1 ? '' : 's'})`;
    case 'stream.started':
      return `stream ${e.streamId.slice(0, 8)} ${e.serviceUrl} (${e.audioTrack}${e.bidirectional ? ', bidirectional' : ''})`;
    case 'stream.status':
      return `stream ${e.streamId.slice(0, 8)} ${e.status}${e.reason ? `: ${e.reason}` : ''}${e.error ? ` (${e.error})` : ''}`;
    case 'stream.play':
      return `playAudio started (${e.bytes} bytes)`;
    case 'stream.checkpoint':
      return `checkpoint "${e.name}" played${e.latencyMs === null ? '' : `, play latency ${e.latencyMs} ms`}`;
    case 'stream.cleared':
      return `clearAudio: ${e.droppedMs} ms dropped, ${e.droppedCheckpoints} checkpoint(s)`;
    case 'call.dtmf':
      return `DTMF ${e.digit}`;
    case 'call.error':
      return `${e.code}: ${e.message}`;
    case 'call.ended':
      return `${e.cause}${e.causeCode === null ? '' : ` (${e.causeCode})`}, by ${e.source}`;
    default:
      return '';
  }
}

function appendTimeline(entry) {
  const e = entry.event;
  const li = el(
    'li',
    {
      'data-type': e.type,
      class: e.type === 'call.error' || (e.type === 'call.xml' && !e.ok) ? 'error' : '',
    },
    el('span', { class: 't' }, clock(e.atMs)),
    el('span', { class: 'type' }, e.type),
    describe(e),
  );
  if (e.type === 'call.xml') {
    for (const i of e.issues) {
      li.append(
        el(
          'span',
          { class: `issue ${i.severity}` },
          `${i.severity} ${i.code} ${i.line}:${i.column} ${i.path} ${i.detail}`,
        ),
      );
    }
  }
  $('timeline').append(li);
}

async function openCall(callUuid) {
  selected = callUuid;
  selectedEnded = null;
  $('detail').hidden = false;
  $('detail-uuid').textContent = callUuid;
  $('timeline').replaceChildren();
  renderCalls();
  renderStreams();
  pending = [];
  timelineLastId = 0;
  openAudio(callUuid);
  const res = await api(`/console/api/calls/${encodeURIComponent(callUuid)}/timeline`);
  if (selected !== callUuid) return;
  const fetched = res.ok ? (await res.json()).events : [];
  for (const entry of [...fetched, ...pending]) {
    if (entry.id > timelineLastId) {
      timelineLastId = entry.id;
      appendTimeline(entry);
    }
  }
  pending = null;
}

async function hangup(callUuid) {
  const res = await post(`/console/api/calls/${encodeURIComponent(callUuid)}/hangup`);
  if (!res.ok) alert(`hang up failed: ${res.status}`);
}

async function stopStream(callUuid, streamId) {
  const res = await post(
    `/console/api/calls/${encodeURIComponent(callUuid)}/streams/${encodeURIComponent(streamId)}/stop`,
  );
  if (!res.ok) alert(`stop failed: ${res.status}`);
}

// ---- audio: level meters and listen-in -----------------------------------------------------------

let socket = null;
let audioCtx = null;
let gain = null;
let listening = false;
const nextAt = { inbound: 0, outbound: 0 };
const TRACKS = ['inbound', 'outbound'];
/**
 * Playout cushion (s), and the most audio a track may have scheduled ahead (s): past it frames are
 * dropped, so a sound card clock slower than the call's (or a burst after a stall) cannot make the
 * delay grow.
 */
const CUSHION_S = 0.04;
const MAX_AHEAD_S = 0.1;

function openAudio(callUuid) {
  if (socket) socket.close();
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(
    `${scheme}://${location.host}/console/api/calls/${encodeURIComponent(callUuid)}/audio`,
  );
  ws.binaryType = 'arraybuffer';
  socket = ws;
  $('audio-state').textContent = 'connecting…';
  ws.addEventListener('message', (m) => {
    if (typeof m.data === 'string') {
      const msg = JSON.parse(m.data);
      $('audio-state').textContent = msg.type === 'hello' ? 'audio live' : 'call ended';
      return;
    }
    onFrame(m.data);
  });
  ws.addEventListener('close', () => {
    if (socket !== ws) return;
    $('audio-state').textContent = 'audio closed';
    for (const track of TRACKS) {
      meterLevel[track] = -60;
      $(`level-${track}`).value = -60;
      $(`db-${track}`).textContent = '–';
    }
  });
}

function onFrame(buf) {
  const view = new DataView(buf);
  const track = TRACKS[view.getUint8(0)];
  if (track === undefined) return;
  const atMs = view.getFloat64(8, true);
  const pcm = new Int16Array(buf, 16, (buf.byteLength - 16) / 2);
  const a = stats.audio;
  if (a.arrivalMs.length < 5000) a.arrivalMs.push(Date.now() - atMs);
  let sum = 0;
  let nonZero = 0;
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i];
    sum += v * v;
    if (v !== 0) nonZero++;
  }
  a.frames[track]++;
  a.nonZeroSamples[track] += nonZero;
  a.sumSquares[track] += sum;
  a.samples[track] += pcm.length;
  meter(track, sum / pcm.length);
  if (listening) play(track, pcm, atMs);
}

const meterLevel = { inbound: -60, outbound: -60 };
function meter(track, meanSquare) {
  const db = meanSquare > 0 ? Math.max(-60, 10 * Math.log10(meanSquare / (32768 * 32768))) : -60;
  // Fast attack, slow release, as a level meter should.
  meterLevel[track] = db > meterLevel[track] ? db : meterLevel[track] * 0.9 + db * 0.1;
  $(`level-${track}`).value = meterLevel[track];
  $(`db-${track}`).textContent = `${meterLevel[track].toFixed(0)} dB`;
}

function play(track, pcm, atMs) {
  const now = audioCtx.currentTime;
  if (nextAt[track] < now + 0.005) nextAt[track] = now + CUSHION_S;
  if (nextAt[track] > now + MAX_AHEAD_S) return; // behind: drop rather than let latency grow
  const buffer = audioCtx.createBuffer(1, pcm.length, 8000);
  const data = buffer.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
  const src = audioCtx.createBufferSource();
  src.buffer = buffer;
  src.connect(gain);
  src.start(nextAt[track]);
  // When this frame will be heard, on the wall clock: now + the wait + the output's own latency.
  const outputMs = (audioCtx.outputLatency || audioCtx.baseLatency || 0) * 1000;
  const heardAtMs = Date.now() + (nextAt[track] - now) * 1000 + outputMs;
  nextAt[track] += pcm.length / 8000;
  const a = stats.audio;
  a.scheduled++;
  a.outputLatencyMs = outputMs;
  if (a.latenciesMs.length < 5000) a.latenciesMs.push(heardAtMs - atMs);
}

function toggleListen() {
  listening = !listening;
  if (listening && audioCtx === null) {
    audioCtx = new AudioContext();
    gain = audioCtx.createGain();
    gain.connect(audioCtx.destination);
  }
  if (audioCtx) void audioCtx.resume();
  gain.gain.value = listening ? 1 : 0;
  nextAt.inbound = 0;
  nextAt.outbound = 0;
  $('listen').classList.toggle('on', listening);
  $('listen').textContent = listening ? 'Stop listening' : 'Listen in';
}

// ---- history ------------------------------------------------------------------------------------

async function loadHistory() {
  const res = await api('/console/api/history?limit=20');
  if (!res.ok) return;
  const body = await res.json();
  $('history').tBodies[0].replaceChildren(
    ...body.calls.map((c) =>
      el(
        'tr',
        { 'data-call-uuid': c.callUuid },
        el('td', {}, time(c.endedAtMs)),
        el('td', {}, c.direction),
        el('td', {}, c.from),
        el('td', {}, c.to),
        el('td', {}, c.durationSec === null ? '' : `${c.durationSec} s`),
        el('td', {}, `${c.hangupCause ?? ''}${c.hangupCauseCode === null ? '' : ` (${c.hangupCauseCode})`}`),
        el('td', {}, c.hangupSource ?? ''),
      ),
    ),
  );
}

// ---- start --------------------------------------------------------------------------------------

async function start() {
  const res = await api('/console/api/session');
  const session = await res.json();
  csrfToken = session.csrfToken;
  $('account').textContent = session.authId;
  $('logout').addEventListener('click', async () => {
    await post('/console/api/logout');
    location.href = '/console/login';
  });
  $('listen').addEventListener('click', toggleListen);
  $('refresh-history').addEventListener('click', loadHistory);
  connectFeed();
  await loadHistory();
}

void start();
