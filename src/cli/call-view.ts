/**
 * How `streamfork call` shows a call: a live status line on a terminal (elapsed time, stream states,
 * counters, audio levels) with events printed above it; plain event lines when not a terminal; or
 * one JSON object per line with `--json`.
 */
import type { VirtualCallEvent, VirtualCallResult } from '../app/virtual-call.js';
import type { VirtualLeg } from '../engine/call/virtual-leg.js';

const QUIET_EVENTS: ReadonlySet<string> = new Set(['playAudio']);

function dbfs(peak: number): string {
  if (peak <= 0) {
    return '  -inf';
  }
  return (20 * Math.log10(peak / 32768)).toFixed(0).padStart(4) + ' dBFS';
}

function clock(ms: number): string {
  const s = ms / 1000;
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, '0')}:${(s - m * 60).toFixed(1).padStart(4, '0')}`;
}

function describe(e: VirtualCallEvent): string {
  const sid = e.streamId === undefined ? '' : ` [${e.streamId.slice(0, 8)}]`;
  const detail = e.detail === undefined ? '' : ' ' + JSON.stringify(e.detail);
  return `${clock(e.t)}${sid} ${e.type}${detail}`;
}

export class CallView {
  readonly #out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly #json: boolean;
  readonly #live: boolean;
  #timer: NodeJS.Timeout | undefined;
  #status = '';

  constructor(out: NodeJS.WritableStream & { isTTY?: boolean }, json: boolean) {
    this.#out = out;
    this.#json = json;
    this.#live = !json && out.isTTY === true;
  }

  event(e: VirtualCallEvent): void {
    if (this.#json) {
      this.#out.write(JSON.stringify(e) + '\n');
      return;
    }
    if (QUIET_EVENTS.has(e.type)) {
      return;
    }
    this.#write(describe(e));
  }

  /** Starts refreshing the live line from the leg's levels (terminal only). */
  startLive(leg: () => VirtualLeg | undefined, started: number, streams: () => string): void {
    if (!this.#live) {
      return;
    }
    this.#timer = setInterval(() => {
      const l = leg();
      const levels = l === undefined ? '' : `in ${dbfs(l.lastInboundPeak)}  out ${dbfs(l.lastOutboundPeak)}`;
      this.#status = `${clock(performance.now() - started)}  ${streams()}  ${levels}`;
      this.#out.write(`\r\x1b[K${this.#status}`);
    }, 200);
  }

  stop(): void {
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#out.write('\r\x1b[K');
    }
  }

  summary(r: VirtualCallResult, recordFile: string | undefined): void {
    if (this.#json) {
      const { heard: _heard, leg: _leg, ...rest } = r;
      this.#out.write(
        JSON.stringify({ type: 'summary', ...rest, heardMs: r.heard.length / 8, recordFile }) + '\n',
      );
      return;
    }
    const lines = [
      '',
      `call ${r.callUuid}: ${(r.durationMs / 1000).toFixed(1)} s, hangup cause ${r.hangupCause} (${r.hangupSource})`,
      `events: ${Object.entries(r.eventCounts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    ];
    for (const s of r.streams) {
      const acked = s.checkpoints.filter((c) => c.latencyMs !== undefined);
      const lat = acked.map((c) => c.latencyMs ?? 0);
      lines.push(
        `stream ${s.streamId} ${s.contentType} -> ${s.serviceUrl}`,
        `  ${s.status}${s.endReason === undefined ? '' : ` (${s.endReason}${s.error === undefined ? '' : `: ${s.error}`})`}; ` +
          `media sent ${s.stats.mediaMessagesSent}, played ${s.stats.playedFrames * 20} ms, clears ${s.stats.clears}, app errors ${s.stats.appErrors}`,
        `  checkpoints ${acked.length}/${s.checkpoints.length} acknowledged` +
          (lat.length > 0 ? `, latency min ${Math.min(...lat)} ms, max ${Math.max(...lat)} ms` : ''),
      );
    }
    for (const e of r.errors) {
      lines.push(`error: ${e}`);
    }
    if (recordFile !== undefined) {
      lines.push(`heard ${(r.heard.length / 8000).toFixed(1)} s of audio -> ${recordFile}`);
    }
    this.#out.write(lines.join('\n') + '\n');
  }

  #write(line: string): void {
    if (this.#live) {
      this.#out.write(`\r\x1b[K${line}\n${this.#status}`);
    } else {
      this.#out.write(line + '\n');
    }
  }
}
