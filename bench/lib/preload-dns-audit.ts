/**
 * Preloaded (`--import`) into Node peers: records every DNS call the process makes through
 * node:dns, so the report can say which lookups happened (loopback reverse lookups answered
 * from /etc/hosts are expected; anything else would be a query leaving the machine).
 * The first call of each kind is appended to BENCH_DNS_AUDIT at once, the counts at exit.
 */
import { appendFileSync } from 'node:fs';
import dns from 'node:dns';

const file = process.env.BENCH_DNS_AUDIT;
const counts = new Map<string, number>();

function record(fn: string, arg: unknown): void {
  const key = `${fn} ${typeof arg === 'string' ? arg : JSON.stringify(arg)}`;
  const seen = counts.get(key) ?? 0;
  counts.set(key, seen + 1);
  if (seen === 0 && file) appendFileSync(file, `${JSON.stringify({ first: key })}\n`);
}

const NAMES = ['lookup', 'lookupService', 'reverse', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCname', 'resolveMx', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv', 'resolveTxt', 'resolveNaptr', 'resolveCaa'];

function patch(target: Record<string, unknown>, prefix: string): void {
  for (const name of NAMES) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    target[name] = function (this: unknown, ...args: unknown[]) {
      record(`${prefix}${name}`, args[0]);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
}

patch(dns as unknown as Record<string, unknown>, 'dns.');
patch(dns.promises as unknown as Record<string, unknown>, 'dns.promises.');
patch(dns.Resolver.prototype as unknown as Record<string, unknown>, 'Resolver#');
patch(dns.promises.Resolver.prototype as unknown as Record<string, unknown>, 'promises.Resolver#');

process.on('exit', () => {
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ counts: Object.fromEntries(counts) })}\n`);
});
