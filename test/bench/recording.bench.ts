/**
 * Call recording cost (issue 14 item 3): the recorder's work per 20 ms tick (one caller frame and
 * one frame of what the caller heard, interleaved into the chunk, a write handed to the port every
 * second), and the same with the real file adapter writing to a temp directory; CPU time of the
 * whole process (the libuv threads doing the writes included), and the disk bytes per minute.
 * Run: node --import tsx test/bench/run.ts recording
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FsRecordingFiles } from '../../src/adapters/recording-files/fs-recording-files.js';
import { generateTone } from '../../src/media/analysis.js';
import { CallRecorder } from '../../src/engine/recording/call-recorder.js';
import type { RecordingFile } from '../../src/ports/recording-files.js';

const nullFile: RecordingFile = {
  append: () => Promise.resolve(),
  writeAt: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

const caller = generateTone(300, 8000, 20, 8000);
const heard = generateTone(700, 8000, 20, 8000);

/** Drives `frames` ticks through a recorder; CPU µs per tick (best of `rounds`). */
async function perTick(
  channels: 1 | 2,
  frames: number,
  file: () => Promise<RecordingFile>,
  rounds: number,
): Promise<{ us: number; bytes: number }> {
  let best = Infinity;
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    const rec = new CallRecorder({ channels, file: await file(), maxBufferedBytes: 64 * 1024 * 1024 });
    const t0 = process.cpuUsage();
    for (let i = 0; i < frames; i++) {
      rec.onFrame('inbound', caller);
      rec.onFrame('outbound', heard);
      if (i % 250 === 249) {
        // Let the writes run, as the event loop would between ticks.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const result = await rec.stop();
    const used = process.cpuUsage(t0);
    bytes = result.sizeBytes;
    best = Math.min(best, (used.user + used.system) / frames);
  }
  return { us: best, bytes };
}

export async function run(): Promise<string> {
  const minute = 3000;
  const rows: string[] = [];
  for (const channels of [1, 2] as const) {
    const mem = await perTick(channels, minute * 5, () => Promise.resolve(nullFile), 5);
    rows.push(
      `| ${channels === 1 ? 'mono' : 'stereo'}, null file (recorder only) | ${mem.us.toFixed(3)} µs | ${((mem.us * 50) / 1000).toFixed(3)} ms | |`,
    );
    const dir = mkdtempSync(join(tmpdir(), 'sf-rec-bench-'));
    try {
      const files = new FsRecordingFiles(dir);
      let n = 0;
      const disk = await perTick(channels, minute, () => files.create(`r${n++}.wav`), 3);
      const size = statSync(join(dir, 'r0.wav')).size;
      rows.push(
        `| ${channels === 1 ? 'mono' : 'stereo'}, file adapter (temp dir) | ${disk.us.toFixed(3)} µs | ${((disk.us * 50) / 1000).toFixed(3)} ms | ${size.toLocaleString('en-US')} bytes per minute (${disk.bytes === size ? 'matches the recorder' : `recorder says ${disk.bytes}`}) |`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return [
    '## Call recording',
    '',
    '| case | CPU per 20 ms tick | CPU per call-second | disk |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
