import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// dns2 is CommonJS without types of its own for the server side.
const dns2 = require('dns2') as {
  createServer(options: { udp?: boolean; tcp?: boolean; handle(request: DnsRequest, send: (response: unknown) => void): void }): DnsServerHandle;
  Packet: {
    TYPE: Record<string, number>;
    CLASS: { IN: number };
    RCODE: Record<string, number>;
    createResponseFromRequest(request: DnsRequest): { header: { rcode: number; aa?: number }; answers: unknown[] };
  };
};

interface DnsRequest {
  questions: { name: string; type: number }[];
}
interface DnsServerHandle {
  listen(options: Record<string, unknown>): Promise<{ udp?: { port: number }; tcp?: { port: number } }>;
  close(): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): void;
}

export interface MxData {
  readonly exchange: string;
  readonly priority: number;
}

/** Records by owner name (lower case, no trailing dot). */
export interface Zone {
  [name: string]: {
    A?: string[];
    AAAA?: string[];
    MX?: MxData[];
    /** Each record as one string, or as its list of character-strings. */
    TXT?: (string | string[])[];
    PTR?: string[];
    CNAME?: string[];
    /** Answer with this RCODE instead (e.g. 'SERVFAIL' for a temporary error). */
    rcode?: string;
  };
}

export interface TestDnsServer {
  /** `127.0.0.1:port`, ready for the `dns.servers` config key. */
  readonly server: string;
  readonly port: number;
  /** Replaces or adds records while running. */
  readonly zone: Zone;
  /** Every question asked, as `TYPE name`. */
  readonly queries: string[];
  close(): Promise<void>;
}

/**
 * An authoritative DNS server on loopback, UDP and TCP on one port, answering from an
 * in-memory zone: NXDOMAIN for unknown names, an empty answer for known names without the type.
 */
export async function startDnsServer(zone: Zone = {}): Promise<TestDnsServer> {
  const { Packet } = dns2;
  const typeName = new Map(Object.entries(Packet.TYPE).map(([name, code]) => [code, name]));
  const queries: string[] = [];
  const live: Zone = { ...zone };
  const handle = (request: DnsRequest, send: (response: unknown) => void): void => {
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    const [question] = request.questions;
    if (!question) return send(response);
    const name = question.name.toLowerCase().replace(/\.$/, '');
    const type = typeName.get(question.type) ?? String(question.type);
    queries.push(`${type} ${name}`);
    const records = live[name];
    if (!records) {
      response.header.rcode = Packet.RCODE.NXDOMAIN ?? 3;
      return send(response);
    }
    if (records.rcode) {
      response.header.rcode = Packet.RCODE[records.rcode] ?? 2;
      return send(response);
    }
    const base = { name: question.name, type: question.type, class: Packet.CLASS.IN, ttl: 60 };
    if (type === 'A') for (const address of records.A ?? []) response.answers.push({ ...base, address });
    if (type === 'AAAA') for (const address of records.AAAA ?? []) response.answers.push({ ...base, address });
    if (type === 'MX') for (const mx of records.MX ?? []) response.answers.push({ ...base, exchange: mx.exchange, priority: mx.priority });
    if (type === 'TXT') for (const txt of records.TXT ?? []) response.answers.push({ ...base, data: txt });
    if (type === 'PTR') for (const domain of records.PTR ?? []) response.answers.push({ ...base, domain });
    if (type === 'CNAME') for (const domain of records.CNAME ?? []) response.answers.push({ ...base, domain });
    send(response);
  };
  // UDP first on an ephemeral port, then TCP on the same number (resolvers retry truncated
  // answers over TCP to the same port). If that port is taken for TCP, try again.
  for (let attempt = 0; attempt < 20; attempt++) {
    const udpOnly = dns2.createServer({ udp: true, handle });
    const udp = await udpOnly.listen({ udp: { port: 0, address: '127.0.0.1', type: 'udp4' } });
    const port = udp.udp!.port;
    const tcpOnly = dns2.createServer({ tcp: true, handle });
    const ok = await new Promise<boolean>((answer) => {
      tcpOnly.on('error', () => answer(false));
      tcpOnly.listen({ tcp: { port, address: '127.0.0.1' } }).then(() => answer(true), () => answer(false));
    });
    if (!ok) {
      await udpOnly.close();
      continue;
    }
    return {
      server: `127.0.0.1:${port}`,
      port,
      zone: live,
      queries,
      close: async () => {
        await Promise.all([udpOnly.close(), tcpOnly.close()]);
      },
    };
  }
  throw new Error('could not bind a DNS test server on loopback');
}

/** The reverse-lookup owner name of an IPv4 address: `4.3.2.1.in-addr.arpa`. */
export function reverseName(ipv4: string): string {
  return `${ipv4.split('.').reverse().join('.')}.in-addr.arpa`;
}
