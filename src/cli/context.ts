/** What every `streamfork` subcommand is given: where to write, and where to leave its exit status. */
import type { Command } from 'commander';

export interface CliContext {
  exitCode: number;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Adds one subcommand (with its options and action) to the root program. */
export type AddCommand = (program: Command, ctx: CliContext) => void;
