import { fileURLToPath } from 'node:url';

/** Absolute path of a fixture plugin (see fixtures/README.md), for a test config. */
export function fixture(name: 'memory-queue' | 'deliver-now' | 'fault' | 'fixed-auth'): string {
  return fileURLToPath(new URL(`../fixtures/${name}.ts`, import.meta.url));
}
