// After `tsc -p tsconfig.build.json`: copies the web console's files next to the compiled adapter.
import { cpSync } from 'node:fs';

cpSync(
  new URL('../src/adapters/console-assets/static/', import.meta.url),
  new URL('../dist/adapters/console-assets/static/', import.meta.url),
  { recursive: true },
);
