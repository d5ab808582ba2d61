import type { Account, RecipientResolution } from '@posthorn/contracts';
import { asciiDomain, canonicalAddress, isDomainName, lookupKey, parseAddress, stripTag } from './addresses.ts';
import { type AccountsFile, quotaBytes } from './file-format.ts';
import { checkPasswordHash } from './passwords.ts';

/** How many aliases one address may pass through before it reaches an account. */
export const MAX_ALIAS_DEPTH = 10;

/** A problem that makes the file unusable, located by JSON pointer. */
export interface SnapshotIssue {
  readonly pointer: string;
  readonly message: string;
}

interface UserRecord {
  readonly account: Account;
  readonly passwordHash: string | undefined;
}

export function pointerOf(...segments: string[]): string {
  return segments.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/**
 * One immutable version of the directory. Everything a lookup needs (alias expansions, the
 * addresses of each account) is computed when the snapshot is built, so a reader holding a
 * snapshot never sees a half-applied change: a reload builds a new one and swaps the reference.
 */
export class Snapshot {
  readonly #domains: ReadonlySet<string>;
  readonly #users: ReadonlyMap<string, UserRecord>;
  /** Alias key (or `@domain` for a catch-all) to the account ids it expands to. */
  readonly #aliases: ReadonlyMap<string, readonly string[]>;
  readonly #separator: string;
  /** Problems that do not make the file invalid (an alias target that does not exist). */
  readonly warnings: readonly SnapshotIssue[];

  private constructor(
    domains: ReadonlySet<string>,
    users: ReadonlyMap<string, UserRecord>,
    aliases: ReadonlyMap<string, readonly string[]>,
    separator: string,
    warnings: SnapshotIssue[],
  ) {
    this.#domains = domains;
    this.#users = users;
    this.#aliases = aliases;
    this.#separator = separator;
    this.warnings = Object.freeze(warnings);
    Object.freeze(this);
  }

  /**
   * Builds a snapshot from a file that passed the schema, or returns every issue found.
   * `extraDomains` come from the main config and count as local like the file's own.
   */
  static build(data: AccountsFile, extraDomains: readonly string[], separator: string): { ok: true; snapshot: Snapshot } | { ok: false; issues: SnapshotIssue[] } {
    const issues: SnapshotIssue[] = [];
    const warnings: SnapshotIssue[] = [];

    const domains = new Set<string>();
    for (const [index, domain] of (data.domains ?? []).entries()) {
      const lower = asciiDomain(domain);
      if (!isDomainName(lower)) issues.push({ pointer: pointerOf('domains', String(index)), message: `not a domain name: ${JSON.stringify(domain)}` });
      domains.add(lower);
    }
    for (const domain of extraDomains) domains.add(asciiDomain(domain));

    const users = new Map<string, { id: string; key: string; entry: NonNullable<NonNullable<AccountsFile['users']>[string]> | null }>();
    for (const [address, entry] of Object.entries(data.users ?? {})) {
      const pointer = pointerOf('users', address);
      const id = canonicalAddress(address);
      if (!id) {
        issues.push({ pointer, message: `not a valid address: ${JSON.stringify(address)}` });
        continue;
      }
      const { local, domain } = parseAddress(id)!;
      const key = lookupKey(local, domain);
      if (!domains.has(domain)) issues.push({ pointer, message: `domain ${domain} is not a local domain (add it to domains)` });
      if (users.has(key)) issues.push({ pointer, message: `same address as ${users.get(key)!.id} (addresses are case-insensitive)` });
      const reason = entry?.password === undefined ? undefined : checkPasswordHash(entry.password);
      if (reason) issues.push({ pointer: pointer + '/password', message: `unusable password hash: ${reason}` });
      users.set(key, { id, key, entry });
    }

    // Alias targets, as lookup keys, before expansion.
    const targets = new Map<string, { key: string; name: string; targets: string[] }>();
    for (const [name, value] of Object.entries(data.aliases ?? {})) {
      const pointer = pointerOf('aliases', name);
      let key: string;
      if (name.startsWith('@')) {
        key = `@${asciiDomain(name.slice(1))}`;
        if (!domains.has(key.slice(1))) issues.push({ pointer, message: `catch-all for ${key.slice(1)}, which is not a local domain` });
      } else {
        const id = canonicalAddress(name);
        if (!id) {
          issues.push({ pointer, message: `not a valid address: ${JSON.stringify(name)}` });
          continue;
        }
        const { local, domain } = parseAddress(id)!;
        key = lookupKey(local, domain);
        if (!domains.has(domain)) issues.push({ pointer, message: `domain ${domain} is not a local domain` });
        if (users.has(key)) issues.push({ pointer, message: `${name} is both a user and an alias` });
      }
      if (targets.has(key)) issues.push({ pointer, message: `same address as alias ${targets.get(key)!.name} (addresses are case-insensitive)` });
      const list = typeof value === 'string' ? [value] : [...value];
      const keys: string[] = [];
      for (const [index, target] of list.entries()) {
        const targetPointer = typeof value === 'string' ? pointer : pointerOf('aliases', name, String(index));
        const id = canonicalAddress(target);
        if (!id) {
          issues.push({ pointer: targetPointer, message: `alias target is not a valid address: ${JSON.stringify(target)}` });
          continue;
        }
        const { local, domain } = parseAddress(id)!;
        if (!domains.has(domain)) {
          // Forwarding to another server needs the queue and SRS; an alias here only names local accounts.
          issues.push({ pointer: targetPointer, message: `alias target ${target} is not in a local domain (forwarding is not supported)` });
          continue;
        }
        keys.push(lookupKey(local, domain));
      }
      targets.set(key, { key, name, targets: keys });
    }

    /** The user or alias a target key names, trying it without its +tag as well. */
    const direct = (key: string): string | undefined => {
      if (users.has(key) || targets.has(key)) return key;
      const { local, domain } = parseAddress(key)!;
      const base = stripTag(local, separator);
      if (base === undefined) return undefined;
      const stripped = lookupKey(base, domain);
      return users.has(stripped) || targets.has(stripped) ? stripped : undefined;
    };

    const expanded = new Map<string, readonly string[]>();
    const failed = new Set<string>();
    const expand = (key: string, path: string[]): string[] | undefined => {
      const done = expanded.get(key);
      if (done) return [...done];
      if (failed.has(key)) return undefined;
      const alias = targets.get(key)!;
      const pointer = pointerOf('aliases', alias.name);
      if (path.includes(key)) {
        issues.push({ pointer, message: `alias loop: ${[...path, key].map((k) => targets.get(k)!.name).join(' -> ')}` });
        failed.add(key);
        return undefined;
      }
      if (path.length >= MAX_ALIAS_DEPTH) {
        issues.push({ pointer, message: `alias chain longer than ${MAX_ALIAS_DEPTH}: ${[...path, key].map((k) => targets.get(k)!.name).join(' -> ')}` });
        failed.add(key);
        return undefined;
      }
      const accounts: string[] = [];
      for (const target of alias.targets) {
        const hit = direct(target);
        if (hit === undefined) {
          warnings.push({ pointer, message: `alias target ${target} is neither a user nor an alias; ignored` });
          continue;
        }
        const user = users.get(hit);
        const more = user ? [user.id] : expand(hit, [...path, key]);
        if (!more) {
          failed.add(key);
          return undefined;
        }
        for (const id of more) if (!accounts.includes(id)) accounts.push(id);
      }
      expanded.set(key, Object.freeze(accounts));
      return accounts;
    };
    for (const key of targets.keys()) expand(key, []);

    if (issues.length) return { ok: false, issues };

    // RFC 5321 4.5.1: every domain must accept mail for postmaster. Only a warning, so an
    // admin adding a domain is not blocked, but one that stays in the log until fixed.
    for (const domain of domains) {
      const key = lookupKey('postmaster', domain);
      if (!users.has(key) && !expanded.has(key) && !expanded.has(`@${domain}`)) {
        warnings.push({ pointer: '/aliases', message: `no postmaster@${domain}: RFC 5321 requires one (add a user or an alias)` });
      }
    }

    const addresses = new Map<string, string[]>();
    for (const user of users.values()) addresses.set(user.id, [user.id]);
    for (const [key, accounts] of expanded) {
      if (key.startsWith('@') || accounts.length !== 1) continue;
      const { local, domain } = parseAddress(targets.get(key)!.name)!;
      addresses.get(accounts[0]!)!.push(`${local}@${domain}`);
    }

    const records = new Map<string, UserRecord>();
    for (const { id, key, entry } of users.values()) {
      const account: Account = Object.freeze({
        id,
        addresses: Object.freeze(addresses.get(id)!),
        ...(entry?.name !== undefined ? { displayName: entry.name } : {}),
        ...(entry?.quota !== undefined ? { quotaBytes: quotaBytes(entry.quota) } : {}),
      });
      records.set(key, { account, passwordHash: entry?.password });
    }
    return { ok: true, snapshot: new Snapshot(domains, records, expanded, separator, warnings) };
  }

  isLocalDomain(domain: string): boolean {
    // A trailing dot makes an absolute name; we never treat it as one of ours (RFC 5321 does not allow it in addresses).
    return !domain.endsWith('.') && this.#domains.has(asciiDomain(domain));
  }

  /** The local domains, sorted. */
  get domains(): readonly string[] {
    return [...this.#domains].sort();
  }

  resolveRecipient(address: string): RecipientResolution {
    const parsed = parseAddress(address);
    if (!parsed) {
      // RFC 5321 4.5.1: a bare "Postmaster" must be accepted; it goes to the first domain's.
      const first = this.#domains.values().next().value;
      if (address.toLowerCase() === 'postmaster' && first !== undefined) return this.resolveRecipient(`postmaster@${first}`);
      return { kind: 'unknown' };
    }
    if (!this.isLocalDomain(parsed.domain)) return { kind: 'remote' };
    const found = this.#lookup(lookupKey(parsed.local, parsed.domain));
    if (found) return found;
    const base = stripTag(parsed.local, this.#separator);
    if (base !== undefined) {
      const stripped = this.#lookup(lookupKey(base, parsed.domain));
      if (stripped) return stripped;
    }
    const catchAll = this.#aliases.get(`@${parsed.domain}`);
    if (catchAll?.length) return { kind: 'local', accounts: catchAll };
    return { kind: 'unknown' };
  }

  #lookup(key: string): RecipientResolution | undefined {
    const user = this.#users.get(key);
    if (user) return { kind: 'local', accounts: [user.account.id] };
    const alias = this.#aliases.get(key);
    if (alias?.length) return { kind: 'local', accounts: alias };
    return undefined;
  }

  /** The account and its stored hash, by login name (its address, case-insensitive). */
  user(login: string): UserRecord | undefined {
    const parsed = parseAddress(login);
    return parsed ? this.#users.get(lookupKey(parsed.local, parsed.domain)) : undefined;
  }

  /** Whether the address is a user or an alias of its own (not one caught by a catch-all or a +tag). */
  hasAddress(address: string): boolean {
    const parsed = parseAddress(address);
    if (!parsed) return false;
    const key = lookupKey(parsed.local, parsed.domain);
    return this.#users.has(key) || this.#aliases.has(key);
  }

  get accounts(): Account[] {
    return [...this.#users.values()].map((record) => record.account);
  }
}
