/**
 * The `streamfork` command line. Each subcommand lives in its own module; this list is the whole CLI.
 */
import { Command, CommanderError } from 'commander';

import { addCallCommand } from './call.js';
import { addClusterCommand } from './cluster.js';
import { addConformanceCommand } from './conformance.js';
import type { AddCommand, CliContext } from './context.js';
import { addServeCommand } from './serve.js';
import { addXmlValidateCommand } from './xml-validate.js';

export type { CliContext } from './context.js';

const COMMANDS: readonly AddCommand[] = [
  addXmlValidateCommand,
  addCallCommand,
  addConformanceCommand,
  addServeCommand,
  addClusterCommand,
];

/** Runs the CLI with `argv` (without node and the script); resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const ctx: CliContext = { exitCode: 0, stdout: process.stdout, stderr: process.stderr };
  const program = new Command('streamfork')
    .description('Self-hosted voice server speaking the Plivo <Stream> audio streaming contract')
    .exitOverride()
    .showHelpAfterError();
  for (const add of COMMANDS) {
    add(program, ctx);
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
