/**
 * Runs a helper executable (espeak-ng, ffmpeg) with input on stdin and collects stdout, with a timeout
 * and a cap on the output size. Never rejects.
 */
import { spawn } from 'node:child_process';

export interface RunProcessOptions {
  readonly stdin?: string | Uint8Array;
  /** The process is killed (SIGKILL) after this long. */
  readonly timeoutMs: number;
  /** The process is killed once stdout exceeds this many bytes. */
  readonly maxStdoutBytes: number;
}

export type RunProcessResult =
  | { readonly ok: true; readonly stdout: Buffer; readonly stderr: string }
  | {
      readonly ok: false;
      readonly reason: 'missing' | 'timeout' | 'tooLarge' | 'exit' | 'spawn';
      readonly detail: string;
    };

const MAX_STDERR_CHARS = 2000;

export function runProcess(
  command: string,
  args: readonly string[],
  opts: RunProcessOptions,
): Promise<RunProcessResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (res: RunProcessResult): void => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(res);
      }
    };
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({
        ok: false,
        reason: 'timeout',
        detail: `${command} did not finish within ${opts.timeoutMs} ms`,
      });
    }, opts.timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'ENOENT' || err.code === 'EACCES' ? 'missing' : 'spawn';
      finish({ ok: false, reason, detail: `${command}: ${err.code ?? 'error'}: ${err.message}` });
    });
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > opts.maxStdoutBytes) {
        child.kill('SIGKILL');
        finish({
          ok: false,
          reason: 'tooLarge',
          detail: `${command} wrote more than ${opts.maxStdoutBytes} bytes`,
        });
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_CHARS) {
        stderr += chunk.toString('utf8');
      }
    });
    child.on('close', (code, signal) => {
      if (code === 0) {
        finish({ ok: true, stdout: Buffer.concat(chunks), stderr });
        return;
      }
      const why = code === null ? `killed by ${signal ?? 'a signal'}` : `exit code ${code}`;
      finish({
        ok: false,
        reason: 'exit',
        detail: `${command} failed (${why})${stderr === '' ? '' : `: ${stderr.trim().slice(0, 500)}`}`,
      });
    });
    // A child that exits before reading its input makes stdin emit EPIPE; its exit status tells the story.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin ?? '');
  });
}
