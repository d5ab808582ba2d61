import { normaliseDomain } from '@posthorn/core';

/**
 * HELO/EHLO name patterns: `mail.example.org` (that name), `.example.org` (any name below
 * example.org, not example.org itself), `[192.0.2.1]` (that address literal, as given).
 * Matching ignores case; names are compared in A-label form.
 */
export interface HostPatterns {
  matches(name: string): boolean;
}

export function compileHostPatterns(patterns: readonly string[]): { patterns: HostPatterns; invalid: { index: number; message: string }[] } {
  const names = new Set<string>();
  const suffixes = new Set<string>();
  const literals = new Set<string>();
  const invalid: { index: number; message: string }[] = [];
  patterns.forEach((raw, index) => {
    const pattern = raw.trim();
    if (/^\[[^\]\s]+\]$/.test(pattern)) {
      literals.add(pattern.toLowerCase());
      return;
    }
    const suffix = pattern.startsWith('.');
    const name = normaliseDomain(suffix ? pattern.slice(1) : pattern);
    if (!name) invalid.push({ index, message: `not a host name${suffix ? ' suffix' : ''} or [address literal]: ${JSON.stringify(raw)}` });
    else (suffix ? suffixes : names).add(name);
  });
  return {
    invalid,
    patterns: {
      matches(given: string): boolean {
        if (literals.has(given.toLowerCase())) return true;
        const name = normaliseDomain(given);
        if (!name) return false;
        if (names.has(name)) return true;
        for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
          if (suffixes.has(name.slice(dot + 1))) return true;
        }
        return false;
      },
    },
  };
}
