import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadAccounts } from '../src/load.ts';
import type { Snapshot } from '../src/snapshot.ts';

const settings: { extraDomains: readonly string[]; plusSeparator: string } = { extraDomains: [], plusSeparator: '+' };

function load(text: string, extra: Partial<typeof settings> = {}): Snapshot {
  const result = loadAccounts(text, { ...settings, ...extra });
  if (!result.ok) assert.fail(`unexpected problems: ${JSON.stringify(result.problems)}`);
  return result.snapshot;
}

function problems(text: string) {
  const result = loadAccounts(text, settings);
  assert.equal(result.ok, false, 'the file should be refused');
  return (result as { problems: { line?: number; pointer?: string; message: string }[] }).problems;
}

const BASE = `
domains: [Example.ORG, localhost]
users:
  alice@example.org: { name: Alice, quota: 2M }
  Bob@Example.org: { name: Bob, quota: 1000 }
  carol@localhost: {}
aliases:
  postmaster@example.org: alice@example.org
  admin@example.org: postmaster@example.org
  team@example.org: [alice@example.org, bob@example.org, admin@example.org]
  everyone@example.org: [team@example.org, carol@localhost]
  "@localhost": carol@localhost
`;

describe('accounts file: parsing and validation', () => {
  it('loads users with display names and quotas', () => {
    const snapshot = load(BASE);
    const accounts = snapshot.accounts;
    assert.deepEqual(accounts.map((a) => a.id).sort(), ['Bob@example.org', 'alice@example.org', 'carol@localhost']);
    const alice = snapshot.user('alice@example.org')!.account;
    assert.equal(alice.displayName, 'Alice');
    assert.equal(alice.quotaBytes, 2 * 1024 * 1024);
    assert.equal(snapshot.user('bob@example.org')!.account.quotaBytes, 1000);
    assert.equal(snapshot.user('carol@localhost')!.account.quotaBytes, undefined);
  });

  it('accepts an empty file and empty sections', () => {
    assert.deepEqual(load('').accounts, []);
    assert.deepEqual(load('domains:\nusers:\naliases:\n').accounts, []);
  });

  it('merges domains from the main config with the file', () => {
    const snapshot = load('domains: [a.example]\n', { extraDomains: ['B.example'] });
    assert.equal(snapshot.isLocalDomain('a.example'), true);
    assert.equal(snapshot.isLocalDomain('b.example'), true);
    assert.equal(snapshot.isLocalDomain('c.example'), false);
  });

  it('reports YAML syntax errors with their line', () => {
    const [problem] = problems('domains: [localhost]\nusers:\n  alice@localhost: { name: Alice ]\n');
    assert.ok(problem);
    assert.equal(problem.line, 3);
    const [duplicate] = problems('domains: [localhost]\nusers:\n  a@localhost: {}\n  a@localhost: {}\n');
    assert.equal(duplicate?.line, 4);
    assert.match(duplicate!.message, /unique/);
  });

  it('reports schema errors with a JSON pointer and the line', () => {
    const found = problems('domains: [localhost]\nusers:\n  alice@localhost:\n    name: Alice\n    quota: lots\n');
    assert.ok(found.some((p) => p.pointer === '/users/alice@localhost/quota' && p.line === 5), JSON.stringify(found));
    const unknown = problems('domains: [localhost]\nuser: {}\n');
    assert.ok(unknown.some((p) => p.pointer === '/user' && p.line === 2), JSON.stringify(unknown));
  });

  it('refuses a user in a domain that is not local', () => {
    const found = problems('domains: [localhost]\nusers:\n  alice@elsewhere.example: {}\n');
    assert.equal(found[0]?.pointer, '/users/alice@elsewhere.example');
    assert.equal(found[0]?.line, 3);
  });

  it('refuses two users that differ only in case', () => {
    const found = problems('domains: [localhost]\nusers:\n  alice@localhost: {}\n  ALICE@localhost: {}\n');
    assert.match(found[0]!.message, /case-insensitive/);
  });

  it('refuses malformed or unsupported password hashes', () => {
    assert.match(problems('domains: [localhost]\nusers:\n  a@localhost: { password: "plain" }\n')[0]!.message, /password hash/);
    assert.match(problems('domains: [localhost]\nusers:\n  a@localhost: { password: "$md5$x=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA" }\n')[0]!.message, /unsupported/);
    // A cost that would let one login eat gigabytes is refused at load, not at login.
    assert.match(problems('domains: [localhost]\nusers:\n  a@localhost: { password: "$scrypt$ln=30,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA" }\n')[0]!.message, /out of range/);
  });

  it('refuses an alias to a remote address', () => {
    const found = problems('domains: [localhost]\nusers:\n  a@localhost: {}\naliases:\n  fwd@localhost: someone@remote.example\n');
    assert.match(found[0]!.message, /not in a local domain/);
  });

  it('refuses an alias loop, naming the chain', () => {
    const found = problems('domains: [localhost]\naliases:\n  a@localhost: b@localhost\n  b@localhost: c@localhost\n  c@localhost: a@localhost\n');
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /alias loop: a@localhost -> b@localhost -> c@localhost -> a@localhost/);
    assert.equal(found[0]!.line, 3);
  });

  it('refuses an alias chain deeper than the limit', () => {
    const lines = ['domains: [localhost]', 'users:', '  u@localhost: {}', 'aliases:'];
    for (let i = 0; i < 12; i++) lines.push(`  a${i}@localhost: ${i === 11 ? 'u' : `a${i + 1}`}@localhost`);
    assert.match(problems(lines.join('\n'))[0]!.message, /alias chain longer than/);
  });

  it('keeps a dangling alias target as a warning, not an error', () => {
    const snapshot = load('domains: [localhost]\nusers:\n  a@localhost: {}\naliases:\n  postmaster@localhost: a@localhost\n  list@localhost: [a@localhost, gone@localhost]\n');
    assert.equal(snapshot.warnings.length, 1);
    assert.deepEqual(snapshot.resolveRecipient('list@localhost'), { kind: 'local', accounts: ['a@localhost'] });
  });
});

describe('accounts file: postmaster', () => {
  it('warns about a local domain without postmaster (RFC 5321 4.5.1)', () => {
    const without = load('domains: [localhost, example.org]\nusers:\n  a@localhost: {}\naliases:\n  postmaster@localhost: a@localhost\n');
    assert.deepEqual(without.warnings.map((w) => w.message), ['no postmaster@example.org: RFC 5321 requires one (add a user or an alias)']);
    const catchAll = load('domains: [example.org]\nusers:\n  a@example.org: {}\naliases:\n  "@example.org": a@example.org\n');
    assert.deepEqual(catchAll.warnings, []);
  });
});

describe('accounts file: recipient resolution', () => {
  const snapshot = load(BASE);

  it('resolves a user, whatever the case of local part and domain', () => {
    assert.deepEqual(snapshot.resolveRecipient('alice@example.org'), { kind: 'local', accounts: ['alice@example.org'] });
    assert.deepEqual(snapshot.resolveRecipient('ALICE@EXAMPLE.ORG'), { kind: 'local', accounts: ['alice@example.org'] });
    assert.deepEqual(snapshot.resolveRecipient('bob@example.org'), { kind: 'local', accounts: ['Bob@example.org'] });
  });

  it('applies plus-addressing', () => {
    assert.deepEqual(snapshot.resolveRecipient('alice+news@example.org'), { kind: 'local', accounts: ['alice@example.org'] });
    assert.deepEqual(snapshot.resolveRecipient('Team+x@example.org').kind, 'local');
    assert.deepEqual(snapshot.resolveRecipient('+x@example.org'), { kind: 'unknown' });
    const dashed = load(BASE, { plusSeparator: '-' });
    assert.deepEqual(dashed.resolveRecipient('alice-news@example.org'), { kind: 'local', accounts: ['alice@example.org'] });
    assert.deepEqual(dashed.resolveRecipient('alice+news@example.org'), { kind: 'unknown' });
    const off = load(BASE, { plusSeparator: '' });
    assert.deepEqual(off.resolveRecipient('alice+news@example.org'), { kind: 'unknown' });
  });

  it('resolves single, chained and list aliases, without duplicates', () => {
    assert.deepEqual(snapshot.resolveRecipient('postmaster@example.org'), { kind: 'local', accounts: ['alice@example.org'] });
    assert.deepEqual(snapshot.resolveRecipient('admin@example.org'), { kind: 'local', accounts: ['alice@example.org'] });
    assert.deepEqual(snapshot.resolveRecipient('team@example.org'), { kind: 'local', accounts: ['alice@example.org', 'Bob@example.org'] });
    assert.deepEqual(snapshot.resolveRecipient('everyone@example.org'), { kind: 'local', accounts: ['alice@example.org', 'Bob@example.org', 'carol@localhost'] });
  });

  it('uses the catch-all of a domain only when nothing else matches', () => {
    assert.deepEqual(snapshot.resolveRecipient('whoever@localhost'), { kind: 'local', accounts: ['carol@localhost'] });
    assert.deepEqual(snapshot.resolveRecipient('whoever@example.org'), { kind: 'unknown' });
  });

  it('treats other domains, and a local domain with a trailing dot, as remote', () => {
    assert.deepEqual(snapshot.resolveRecipient('alice@remote.example'), { kind: 'remote' });
    assert.deepEqual(snapshot.resolveRecipient('alice@example.org.'), { kind: 'remote' });
    assert.equal(snapshot.isLocalDomain('EXAMPLE.org'), true);
    assert.equal(snapshot.isLocalDomain('example.org.'), false);
  });

  it('sends a bare Postmaster to the first domain', () => {
    assert.deepEqual(snapshot.resolveRecipient('Postmaster'), { kind: 'local', accounts: ['alice@example.org'] });
    assert.deepEqual(snapshot.resolveRecipient('alice'), { kind: 'unknown' });
  });

  it("lists an account's own addresses: its id and the aliases that point only to it", () => {
    assert.deepEqual([...snapshot.user('alice@example.org')!.account.addresses], ['alice@example.org', 'postmaster@example.org', 'admin@example.org']);
    assert.deepEqual([...snapshot.user('bob@example.org')!.account.addresses], ['Bob@example.org']);
  });
});

describe('accounts file: internationalized domains', () => {
  it('treats U-labels and A-labels as one domain, wherever each is written', () => {
    // smtp-server hands over U-labels; the file may hold either form.
    const snapshot = load(`
domains: [bücher.example]
users:
  u@xn--bcher-kva.example: {}
aliases:
  "@BÜCHER.example": u@bücher.example
`);
    assert.equal(snapshot.isLocalDomain('bücher.example'), true);
    assert.equal(snapshot.isLocalDomain('xn--bcher-kva.example'), true);
    assert.deepEqual(snapshot.resolveRecipient('u@bücher.example'), { kind: 'local', accounts: ['u@xn--bcher-kva.example'] });
    assert.deepEqual(snapshot.resolveRecipient('other@bücher.example'), { kind: 'local', accounts: ['u@xn--bcher-kva.example'] });
  });
});
