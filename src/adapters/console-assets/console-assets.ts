/**
 * The web console's files (`static/`: the page, the login form, the script and the style sheet), read
 * once at start. They sit beside this module in the source tree; `npm run build` copies them beside
 * the compiled one (scripts/copy-console-assets.mjs).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ConsoleAssetFile {
  readonly body: Buffer;
  readonly type: string;
}

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** Every file of the console's `static/` folder by name (throws when the folder is missing). */
export function loadConsoleAssets(
  dir: URL = new URL('./static/', import.meta.url),
): ReadonlyMap<string, ConsoleAssetFile> {
  const files = new Map<string, ConsoleAssetFile>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)];
    if (type !== undefined) {
      files.set(name, { body: readFileSync(new URL(name, dir)), type });
    }
  }
  return files;
}
