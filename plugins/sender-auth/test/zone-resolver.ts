/**
 * A DNS resolver over the zone data of the OpenSPF test suite (rfc7208-tests.yml), in
 * process: the suite's TIMEOUT marker must make one query time out while others answer,
 * which a loopback server could only do by making the test wait. Answers and errors have the
 * shapes of node:dns `resolve(name, rrtype)`, which is what mailauth is written against.
 *
 * Zone rules, from the suite's README and its drivers:
 * - a record of type SPF doubles as TXT unless the name has TXT entries of its own
 *   (`TXT: NONE` is such an entry that adds no record);
 * - `TIMEOUT` makes a query for a type the name has no records of time out;
 * - names are case-insensitive; CNAMEs are followed, a CNAME loop is a server failure;
 * - a name without entries does not exist (ENOTFOUND), a name without records of the
 *   asked type has no data (ENODATA).
 */
type Entry = string | Record<string, unknown>;

interface Node {
  readonly records: Map<string, unknown[]>;
  readonly timeout: boolean;
}

function dnsError(code: string, name: string, rrtype: string): Error {
  return Object.assign(new Error(`query${rrtype} ${code} ${name}`), { code, hostname: name });
}

function owner(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** The suite writes a TXT (or SPF) record as one string or as its list of character-strings. */
function characterStrings(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return [String(value)];
}

export function zoneResolver(zonedata: Record<string, Entry[]> | undefined): (name: string, rrtype: string) => Promise<unknown[]> {
  const zone = new Map<string, Node>();
  for (const [name, entries] of Object.entries(zonedata ?? {})) {
    const records = new Map<string, unknown[]>();
    const spf: unknown[] = [];
    let timeout = false;
    let ownTxt = false;
    const add = (type: string, value: unknown): void => {
      records.set(type, [...(records.get(type) ?? []), value]);
    };
    for (const entry of entries) {
      if (entry === 'TIMEOUT') {
        timeout = true;
        continue;
      }
      if (typeof entry !== 'object' || entry === null) throw new Error(`unexpected zone entry at ${name}: ${JSON.stringify(entry)}`);
      for (const [type, value] of Object.entries(entry)) {
        if (type === 'TXT') {
          ownTxt = true;
          if (value !== 'NONE') add('TXT', characterStrings(value));
        } else if (type === 'SPF') {
          spf.push(characterStrings(value));
        } else if (type === 'MX') {
          const [priority, exchange] = value as [number, string];
          add('MX', { priority, exchange: owner(exchange) });
        } else if (type === 'CNAME' || type === 'PTR') {
          add(type, owner(String(value)));
        } else if (type === 'A' || type === 'AAAA') {
          add(type, String(value));
        } else {
          throw new Error(`unexpected record type ${type} at ${name}`);
        }
      }
    }
    if (!ownTxt) for (const record of spf) add('TXT', record);
    zone.set(owner(name), { records, timeout });
  }

  const lookup = (name: string, rrtype: string, seen: Set<string>): unknown[] => {
    const key = owner(name);
    const node = zone.get(key);
    if (!node) throw dnsError('ENOTFOUND', name, rrtype);
    const own = node.records.get(rrtype);
    if (own?.length) return own.map((value) => (Array.isArray(value) ? [...value] : typeof value === 'object' ? { ...value } : value));
    const alias = rrtype === 'CNAME' ? undefined : node.records.get('CNAME')?.[0];
    if (typeof alias === 'string') {
      if (seen.has(key)) throw dnsError('ESERVFAIL', name, rrtype);
      seen.add(key);
      return lookup(alias, rrtype, seen);
    }
    if (node.timeout) throw dnsError('ETIMEOUT', name, rrtype);
    throw dnsError('ENODATA', name, rrtype);
  };

  return async (name, rrtype) => lookup(name, rrtype, new Set());
}
