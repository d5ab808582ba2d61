/**
 * Two independent DKIM verifiers for tests, both asking the loopback test DNS server for the
 * key records: mailauth's dkimVerify, and dkimpy (Debian's python3-dkim, the library behind
 * dkimverify). dkimverify itself asks the system resolver, which cannot be pointed at a
 * loopback port, so the library is called with a DNS function that asks the test server
 * through dnspython.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createResolver } from '@posthorn/core';
import type { DKIMResult } from 'mailauth';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';

/** mailauth's verdict on each signature, looking keys up in the test DNS server (`host:port`). */
export async function mailauthVerify(message: Buffer, dnsServer: string): Promise<DKIMResult[]> {
  const resolver = createResolver({ servers: [dnsServer], timeout: 1000, tries: 2 });
  const result = await dkimVerify(message, { resolver: (name, type) => resolver.resolve(name, type) as Promise<string[][]> });
  return result.results;
}

const PYTHON = '/usr/bin/python3';

/** Why dkimpy cannot run here, or false when it can (CI installs python3-dkim). */
export function dkimpyMissing(): string | false {
  const probe = spawnSync(PYTHON, ['-c', 'import dkim, dns.resolver'], { stdio: 'ignore' });
  return probe.status === 0 ? false : `${PYTHON} cannot import dkim (apt-get install python3-dkim)`;
}

const DKIMPY = `
import sys
import dkim
import dns.resolver

resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = ['127.0.0.1']
resolver.port = int(sys.argv[1])

def txt(name, timeout=5):
    try:
        answer = resolver.resolve(name.decode('ascii'), 'TXT', lifetime=timeout)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    return b''.join(answer[0].strings)

message = sys.stdin.buffer.read()

def check(index):
    try:
        return dkim.DKIM(message).verify(idx=index, dnsfunc=txt)
    except dkim.DKIMException as error:
        print(f'signature {index}: {error}', file=sys.stderr)
        return False

verdicts = [check(index) for index in range(int(sys.argv[2]))]
print(' '.join('ok' if verdict else 'failed' for verdict in verdicts))
sys.exit(0 if all(verdicts) else 1)
`;

/**
 * Verifies the topmost `count` signatures with dkimpy. `ok` only when every one verifies;
 * `output` has one word per signature (`ok`, `failed`), `errors` why.
 */
export function dkimpyVerify(message: Buffer, dnsPort: number, count = 1): Promise<{ ok: boolean; output: string; errors: string }> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(PYTHON, ['-c', DKIMPY, String(dnsPort), String(count)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    child.once('error', rejectRun);
    child.once('close', (code) => resolveRun({ ok: code === 0, output: output.trim(), errors: errors.trim() }));
    child.stdin.end(message);
  });
}
