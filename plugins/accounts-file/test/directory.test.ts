import assert from 'node:assert/strict';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Accounts, type AccountDirectory } from '@posthorn/contracts';
import { silentLogger } from '@posthorn/core';
import { captureLogs, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { FileAccountDirectory } from '../src/directory.ts';
import { hashPassword } from '../src/passwords.ts';

/** Resolves on the directory's next change event. */
function nextChange(directory: AccountDirectory): Promise<string> {
  return new Promise((resolve) => {
    const off = directory.onChange((event) => {
      off();
      resolve(event.reason);
    });
  });
}

/** Polls until `check` holds; for things that have no event to wait for (a refused reload). */
async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('file account directory', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let hash: string;

  before(async () => {
    dir = await tempDir();
    hash = await hashPassword('s3cret', { ln: 4, r: 8, p: 1 });
  });
  after(() => dir.remove());

  async function open(name: string, text: string): Promise<FileAccountDirectory> {
    const file = join(dir.path, name);
    await writeFile(file, text);
    return FileAccountDirectory.open({ file, extraDomains: [], plusSeparator: '+', log: silentLogger() });
  }

  it('creates a missing file, empty but valid, readable by its owner only', async () => {
    const file = join(dir.path, 'sub', 'accounts.yaml');
    const directory = await FileAccountDirectory.open({ file, extraDomains: ['localhost'], plusSeparator: '+', log: silentLogger(), createMissing: true });
    assert.deepEqual(await directory.listAccounts(), []);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(await directory.isLocalDomain('LOCALHOST'), true);
    assert.deepEqual(await directory.resolveRecipient('x@localhost'), { kind: 'unknown' });
  });

  it('without createMissing (CLI commands) writes nothing until the first edit', async () => {
    const file = join(dir.path, 'later', 'accounts.yaml');
    const directory = await FileAccountDirectory.open({ file, extraDomains: ['localhost'], plusSeparator: '+', log: silentLogger() });
    assert.deepEqual(await directory.listAccounts(), []);
    await assert.rejects(stat(file), { code: 'ENOENT' });
    await directory.addAccount('zoe@localhost', 'pw');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual((await directory.listAccounts()).map((a) => a.id), ['zoe@localhost']);
  });

  it('refuses to open an invalid file, naming the file and the line', async () => {
    await assert.rejects(open('bad.yaml', 'domains: [localhost]\nusers:\n  a@localhost: { password: nope }\n'), (err: Error) => {
      assert.match(err.message, /bad\.yaml:3 \/users\/a@localhost\/password: unusable password hash/);
      return true;
    });
  });

  it('authenticates with the right password and answers null alike for a wrong one and an unknown user', async () => {
    const directory = await open('auth.yaml', `domains: [localhost]\nusers:\n  alice@localhost: { password: "${hash}", name: Alice }\n  nopass@localhost: {}\n`);
    const alice = await directory.authenticate('Alice@LOCALHOST', 's3cret');
    assert.equal(alice?.id, 'alice@localhost');
    assert.equal(alice?.displayName, 'Alice');
    assert.equal(await directory.authenticate('alice@localhost', 'wrong'), null);
    assert.equal(await directory.authenticate('nobody@localhost', 's3cret'), null);
    assert.equal(await directory.authenticate('nopass@localhost', ''), null);
    assert.equal(await directory.authenticate('not an address', 's3cret'), null);
    assert.equal(directory.supportsSharedSecrets, false);
    assert.equal((await directory.getAccount('ALICE@localhost'))?.id, 'alice@localhost');
    assert.equal(await directory.getAccount('nobody@localhost'), null);
  });

  it('adds, lists, re-passwords and removes accounts while keeping comments and layout', async () => {
    const original = [
      '# Our accounts. Keep this comment.',
      'domains: [localhost]   # the only domain',
      'users:',
      '  # the boss',
      `  alice@localhost: { password: "${hash}", name: Alice }`,
      'aliases:',
      '  postmaster@localhost: alice@localhost  # RFC 5321 wants one',
      '',
    ].join('\n');
    const directory = await open('edit.yaml', original);
    const changes: string[] = [];
    directory.onChange((event) => changes.push(event.reason));

    const bob = await directory.addAccount('bob@LOCALHOST', 'hunter2', { displayName: 'Bob B.' });
    assert.equal(bob.id, 'bob@localhost');
    assert.equal(bob.displayName, 'Bob B.');
    const text = await readFile(directory.file, 'utf8');
    assert.ok(text.startsWith(original.trimEnd().split('\naliases:')[0]!), `comments and user lines kept:\n${text}`);
    assert.match(text, /# the boss\n/);
    assert.match(text, /postmaster@localhost: alice@localhost {2}# RFC 5321 wants one/);
    assert.match(text, /\n {2}bob@localhost: \{ password: "\$scrypt\$ln=15,r=8,p=1\$[^"]+", name: Bob B\. \}\n/);
    assert.ok(await directory.authenticate('bob@localhost', 'hunter2'));
    assert.deepEqual((await directory.listAccounts()).map((a) => a.id), ['alice@localhost', 'bob@localhost']);

    assert.equal(await directory.setPassword('BOB@localhost', 'new one'), true);
    assert.equal(await directory.authenticate('bob@localhost', 'hunter2'), null);
    assert.ok(await directory.authenticate('bob@localhost', 'new one'));
    assert.equal(await directory.setPassword('nobody@localhost', 'x'), false);

    assert.equal(await directory.removeAccount('bob@localhost'), true);
    assert.equal(await directory.removeAccount('bob@localhost'), false);
    assert.deepEqual(await directory.resolveRecipient('bob@localhost'), { kind: 'unknown' });
    assert.equal(await readFile(directory.file, 'utf8'), original, 'add then remove leaves the file as it was');
    assert.deepEqual(changes, ['added bob@localhost', 'password of BOB@localhost', 'removed bob@localhost']);
  });

  it('refuses to add an account in a foreign domain, or an address that exists', async () => {
    const directory = await open('refuse.yaml', `domains: [localhost]\nusers:\n  alice@localhost: { password: "${hash}" }\naliases:\n  info@localhost: alice@localhost\n`);
    await assert.rejects(directory.addAccount('x@remote.example', 'pw'), { code: 'NOT_LOCAL' });
    await assert.rejects(directory.addAccount('ALICE@localhost', 'pw'), { code: 'ALREADY_EXISTS' });
    await assert.rejects(directory.addAccount('info@localhost', 'pw'), { code: 'ALREADY_EXISTS' });
    await assert.rejects(directory.addAccount('not-an-address', 'pw'), { code: 'INVALID_ADDRESS' });
    await assert.rejects(directory.addAccount('new@localhost', ''), { code: 'EMPTY_PASSWORD' });
  });

  it('adds the first user to a file whose users section is empty', async () => {
    const directory = await open('empty.yaml', 'domains: [localhost]\nusers:\n');
    await directory.addAccount('first@localhost', 'pw');
    assert.deepEqual((await directory.listAccounts()).map((a) => a.id), ['first@localhost']);
  });
});

describe('accounts-file plugin: hot reload in a running server', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  let accounts: AccountDirectory;
  let file: string;
  const logs = captureLogs('info');

  before(async () => {
    dir = await tempDir();
    file = join(dir.path, 'accounts.yaml');
    await writeFile(file, 'domains: [localhost]\nusers:\n  alice@localhost: {}\n');
    server = await startTestServer({ plugins: [{ plugin: 'accounts-file', options: { file: 'accounts.yaml', domains: ['example.net'] } }] }, { dir: dir.path, logger: logs.logger });
    accounts = server.app.services.get(Accounts)!;
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('serves the file named in the options, relative to the config directory, plus configured domains', async () => {
    assert.deepEqual(await accounts.resolveRecipient('alice@localhost'), { kind: 'local', accounts: ['alice@localhost'] });
    assert.equal(await accounts.isLocalDomain('example.net'), true);
  });

  it('is read again by posthorn reload (and SIGHUP), like the rule files', async () => {
    const results = (await server.app.admin('reload')) as { file: string; reloaded: boolean }[];
    assert.deepEqual(results, [{ file, reloaded: true }]);
  });

  it('picks up an edit written in place', async () => {
    const changed = nextChange(accounts);
    await writeFile(file, 'domains: [localhost]\nusers:\n  alice@localhost: {}\n  bob@localhost: {}\n');
    assert.equal(await changed, 'reload');
    assert.deepEqual(await accounts.resolveRecipient('bob@localhost'), { kind: 'local', accounts: ['bob@localhost'] });
  });

  it('picks up a file replaced by rename, as editors save', async () => {
    const changed = nextChange(accounts);
    await writeFile(join(dir.path, 'accounts.yaml.new'), 'domains: [localhost]\nusers:\n  alice@localhost: {}\n  bob@localhost: {}\naliases:\n  team@localhost: [alice@localhost, bob@localhost]\n');
    await rename(join(dir.path, 'accounts.yaml.new'), file);
    await changed;
    assert.deepEqual(await accounts.resolveRecipient('team@localhost'), { kind: 'local', accounts: ['alice@localhost', 'bob@localhost'] });
  });

  it('refuses an invalid edit with a log line naming file, line and pointer, and keeps the old data', async () => {
    let changes = 0;
    const off = accounts.onChange(() => changes++);
    await writeFile(file, 'domains: [localhost]\nusers:\n  alice@localhost: {}\naliases:\n  loop@localhost: loop@localhost\n');
    await until(() => logs.find(/accounts file refused/).length > 0, 'the refusal to be logged');
    const [line] = logs.find(/accounts file refused/);
    assert.equal(line!.level, 'error');
    assert.equal(line!.file, file);
    assert.equal(line!.line, 5);
    assert.equal(line!.pointer, '/aliases/loop@localhost');
    assert.match(String(line!.error), /alias loop/);
    assert.match(String(line!.msg), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:5 /aliases/loop@localhost: alias loop`));
    // The version in force before still answers.
    assert.deepEqual(await accounts.resolveRecipient('team@localhost'), { kind: 'local', accounts: ['alice@localhost', 'bob@localhost'] });
    assert.deepEqual(await accounts.resolveRecipient('loop@localhost'), { kind: 'unknown' });

    await writeFile(file, 'domains: [localhost]\nusers:\n  alice@localhost: { name: "Alice\n');
    await until(() => logs.find(/accounts file refused/).length > 1, 'the syntax error to be logged');
    assert.equal(typeof logs.find(/accounts file refused/)[1]!.line, 'number');
    // A truncated file (an editor half-way through saving) does not empty the directory.
    await writeFile(file, '');
    await until(() => logs.find(/is empty; keeping the loaded version/).length > 0, 'the empty file to be noticed');
    assert.deepEqual(await accounts.resolveRecipient('team@localhost'), { kind: 'local', accounts: ['alice@localhost', 'bob@localhost'] });
    assert.equal(changes, 0);
    off();

    const fixed = nextChange(accounts);
    await writeFile(file, 'domains: [localhost]\nusers:\n  alice@localhost: { name: Alice }\n');
    await fixed;
    assert.equal((await accounts.getAccount('alice@localhost'))?.displayName, 'Alice');
    assert.deepEqual(await accounts.resolveRecipient('bob@localhost'), { kind: 'unknown' });
  });

  it('registers the user admin commands through the core', async () => {
    const changed = nextChange(accounts);
    assert.deepEqual(await server.app.admin('user.add', { address: 'carol@localhost', password: 'pw', name: 'Carol' }), { added: 'carol@localhost' });
    await changed;
    const listed = (await server.app.admin('user.list')) as { id: string }[];
    assert.ok(listed.some((entry) => entry.id === 'carol@localhost'));
    assert.ok(await accounts.authenticate('carol@localhost', 'pw'));
  });
});
