/**
 * The file adapter on a real temp directory: create/append/writeAt/reopen/read/remove, names that
 * could leave the directory are refused, and a real full device (/dev/full, ENOSPC on every write)
 * fails the recorder's recording instead of throwing into the call.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { FsRecordingFiles } from '../../src/adapters/recording-files/fs-recording-files.js';
import { CallRecorder } from '../../src/engine/recording/call-recorder.js';
import { parseWav } from '../../src/media/wav.js';

function tempDir(): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sf-rec-files-'));
  return {
    dir,
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('create, append, writeAt, reopen at the end, read back, remove', async () => {
  const tmp = tempDir();
  try {
    const files = new FsRecordingFiles(join(tmp.dir, 'recordings'));
    const f = await files.create('a.wav');
    await f.append(new Uint8Array([1, 2, 3, 4]));
    await f.append(new Uint8Array([5, 6]));
    await f.writeAt(0, new Uint8Array([9]));
    await f.close();
    await f.close();
    assert.deepEqual([...readFileSync(join(tmp.dir, 'recordings', 'a.wav'))], [9, 2, 3, 4, 5, 6]);
    const again = await files.reopen('a.wav');
    assert.ok(again);
    assert.equal(again.sizeBytes, 6);
    await again.file.append(new Uint8Array([7]));
    await again.file.close();
    const read = await files.read('a.wav');
    assert.ok(read);
    assert.equal(read.sizeBytes, 7);
    const chunks: Buffer[] = [];
    for await (const c of read.body) {
      chunks.push(c as Buffer);
    }
    assert.deepEqual([...Buffer.concat(chunks)], [9, 2, 3, 4, 5, 6, 7]);
    assert.equal(await files.read('missing.wav'), undefined);
    assert.equal(await files.reopen('missing.wav'), undefined);
    await files.remove('a.wav');
    await files.remove('a.wav');
    assert.equal(existsSync(join(tmp.dir, 'recordings', 'a.wav')), false);
  } finally {
    tmp.dispose();
  }
});

test('names with separators, parent references or a leading dot are refused', async () => {
  const tmp = tempDir();
  try {
    const files = new FsRecordingFiles(tmp.dir);
    for (const name of ['../x.wav', 'a/b.wav', '.hidden', 'a..wav', '']) {
      await assert.rejects(files.create(name), /invalid recording file name/, name);
    }
  } finally {
    tmp.dispose();
  }
});

test('a full device (ENOSPC on /dev/full): the recorder marks the recording failed with the reason', async (t) => {
  if (!existsSync('/dev/full')) {
    assert.fail('/dev/full is missing (Linux provides it; the test needs a device that is always full)');
  }
  const tmp = tempDir();
  try {
    symlinkSync('/dev/full', join(tmp.dir, 'full.wav'));
    const files = new FsRecordingFiles(tmp.dir);
    const file = await files.create('full.wav');
    const rec = new CallRecorder({ channels: 2, file, chunkFrames: 5 });
    const frame = new Int16Array(160).fill(1000);
    for (let i = 0; i < 20; i++) {
      rec.onFrame('inbound', frame);
      rec.onFrame('outbound', frame);
    }
    const result = await rec.done;
    t.diagnostic(`failure: ${result.failureReason ?? ''}`);
    assert.equal(result.state, 'failed');
    assert.match(result.failureReason ?? '', /ENOSPC/);
  } finally {
    tmp.dispose();
  }
});

test('a recording through the adapter is a WAV the tolerant parser reads, with the final sizes', async () => {
  const tmp = tempDir();
  try {
    const files = new FsRecordingFiles(tmp.dir);
    const rec = new CallRecorder({ channels: 1, file: await files.create('r.wav') });
    const frame = new Int16Array(160).fill(-300);
    for (let i = 0; i < 75; i++) {
      rec.onFrame('inbound', frame);
      rec.onFrame('outbound', frame);
    }
    const result = await rec.stop();
    const bytes = readFileSync(join(tmp.dir, 'r.wav'));
    assert.equal(bytes.length, result.sizeBytes);
    assert.equal(bytes.readUInt32LE(40), 75 * 320);
    const parsed = parseWav(new Uint8Array(bytes));
    assert.ok(parsed.ok);
    assert.equal(parsed.value.samples.length, 75 * 160);
    assert.equal(parsed.value.samples[0], -600);
  } finally {
    tmp.dispose();
  }
});
