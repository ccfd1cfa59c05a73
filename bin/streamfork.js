#!/usr/bin/env node
// The `streamfork` command. In a source checkout it runs the TypeScript sources through tsx;
// in an installed package it runs the compiled dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);

let entry = compiled;
if (existsSync(source)) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    entry = source;
  } catch {
    // tsx is a dev dependency; without it, fall back to the compiled output.
  }
}
if (!existsSync(entry)) {
  console.error('streamfork: no compiled output found; run `npm run build` first.');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
