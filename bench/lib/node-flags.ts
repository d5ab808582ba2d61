import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const GC = fileURLToPath(new URL('./preload-gc.ts', import.meta.url));
const DNS_AUDIT = fileURLToPath(new URL('./preload-dns-audit.ts', import.meta.url));

/**
 * Flags and environment for every Node peer: a GC on SIGUSR2 (for the memory measurement) and
 * the DNS audit. Both cost nothing while idle, so throughput runs carry them too.
 */
export function nodePeerSetup(dir: string, tag: string, extraFlags: readonly string[] = []): { flags: string[]; env: Record<string, string>; gcAck: string; dnsAudit: string } {
  const gcAck = join(dir, `gc-ack-${tag}`);
  const dnsAudit = join(dir, `dns-audit-${tag}.jsonl`);
  return {
    flags: ['--expose-gc', '--import', GC, '--import', DNS_AUDIT, ...extraFlags],
    env: { BENCH_GC_ACK: gcAck, BENCH_DNS_AUDIT: dnsAudit },
    gcAck,
    dnsAudit,
  };
}
