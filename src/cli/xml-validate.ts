/**
 * `streamfork xml validate <file|->`: checks a Plivo XML or TwiML document (chosen by its elements, as
 * the server chooses; docs/twilio.md) the way the server would before running it (D9). Prints `OK` (and any warnings), or one line per error as `line:col code message`;
 * the exit status is 0 when the document would run and 1 when it would not.
 */
import { readFile } from 'node:fs/promises';

import type { Command } from 'commander';

import { parsePlivoXml } from '../protocol/plivo-xml/parse.js';
import { detectAnswerDialect } from '../protocol/twiml/detect.js';
import { parseTwiml } from '../protocol/twiml/parse.js';
import type { XmlIssue } from '../protocol/plivo-xml/types.js';
import type { CliContext } from './context.js';

async function readInput(file: string): Promise<string> {
  if (file !== '-') {
    return readFile(file, 'utf8');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One diagnostic line: `line:col code message [at path]`. */
export function formatIssue(issue: XmlIssue): string {
  const where = issue.path === '' ? '' : ` (${issue.path})`;
  const prefix = issue.severity === 'warning' ? 'warning ' : '';
  return `${issue.line}:${issue.column} ${prefix}${issue.code} ${issue.detail}${where}`;
}

async function validate(file: string, ctx: CliContext): Promise<void> {
  let text: string;
  try {
    text = await readInput(file);
  } catch (err) {
    ctx.stderr.write(
      `streamfork xml validate: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    ctx.exitCode = 1;
    return;
  }
  const dialect = detectAnswerDialect(text);
  if (!dialect.ok) {
    ctx.stdout.write(`1:0 ERR_XML_WRONG_DIALECT ${dialect.detail}\n`);
    ctx.exitCode = 1;
    return;
  }
  const twiml = dialect.dialect === 'twilio';
  const result = twiml ? parseTwiml(text) : parsePlivoXml(text);
  if (result.ok) {
    ctx.stdout.write(twiml ? 'OK (TwiML)\n' : 'OK\n');
  } else {
    for (const issue of result.errors) {
      ctx.stdout.write(`${formatIssue(issue)}\n`);
    }
  }
  for (const issue of result.warnings) {
    ctx.stdout.write(`${formatIssue(issue)}\n`);
  }
  ctx.exitCode = result.ok ? 0 : 1;
}

/** `streamfork xml validate`. */
export function addXmlValidateCommand(program: Command, ctx: CliContext): void {
  const xml =
    program.commands.find((c) => c.name() === 'xml') ?? program.command('xml').description('Plivo XML tools');
  xml
    .command('validate')
    .description('Validate a Plivo XML document (a file, or - for standard input)')
    .argument('<file>', 'the XML file, or - to read standard input')
    .action(async (file: string) => {
      await validate(file, ctx);
    });
}
