/**
 * The `streamfork` command line. Each subcommand lives in its own module and is registered here.
 */
import { Command, CommanderError } from 'commander';

/** A subcommand registers itself on the root program and sets `exitCode` through the context. */
export interface CliContext {
  exitCode: number;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

type Register = (program: Command, ctx: CliContext) => void;

const registrations: Register[] = [];

/** Used by subcommand modules at import time. */
export function registerCommand(register: Register): void {
  registrations.push(register);
}

/** Runs the CLI with `argv` (without node and the script); resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  await import('./commands.js');
  const ctx: CliContext = { exitCode: 0, stdout: process.stdout, stderr: process.stderr };
  const program = new Command('streamfork')
    .description('Self-hosted voice server speaking the Plivo <Stream> audio streaming contract')
    .exitOverride()
    .showHelpAfterError();
  for (const register of registrations) {
    register(program, ctx);
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode;
    }
    throw err;
  }
  return ctx.exitCode;
}
