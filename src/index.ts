/**
 * The package's public entry: `import { Response } from 'streamfork'`.
 */
export {};
