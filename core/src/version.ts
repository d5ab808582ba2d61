import { readFileSync } from 'node:fs';

/** This core's version, from its package.json; plugins declare which versions they support. */
export const CORE_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
