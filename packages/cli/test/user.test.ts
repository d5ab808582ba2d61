import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { posthornBin, SmtpClient, spawnPosthorn, tempDir, type PosthornProcess } from '@posthorn/testkit';
import { explain, posthorn, testPlugin, writeConfig } from './helpers.ts';

type Dir = Awaited<ReturnType<typeof tempDir>>;

describe('posthorn user, with no server running (plugins loaded in the CLI)', () => {
  let dir: Dir;
  let config: string;
  const accountsFile = () => join(dir.path, 'accounts.json');
  const stored = async () => JSON.parse(await readFile(accountsFile(), 'utf8')) as Record<string, { password: string; displayName?: string }>;

  before(async () => {
    dir = await tempDir('posthorn-cli-');
    config = await writeConfig(dir.path, { plugins: [{ plugin: testPlugin('accounts'), options: { file: './accounts.json' } }] });
  });
  after(() => dir.remove());

  it('adds an account with the password from stdin', async () => {
    const result = await posthorn(config, ['user', 'add', 'alice@localhost', '--name', 'Alice Liddell', '--password-stdin'], 'first secret\n');
    assert.equal(result.code, 0, explain(result));
    assert.equal(result.stdout, 'added alice@localhost\n');
    assert.deepEqual((await stored())['alice@localhost'], { password: 'first secret', displayName: 'Alice Liddell' });
  });

  it('refuses to add the same account twice', async () => {
    const result = await posthorn(config, ['user', 'add', 'alice@localhost', '--password-stdin'], 'other\n');
    assert.equal(result.code, 1, explain(result));
    assert.match(result.stderr, /^posthorn: .*already exists\n$/);
    assert.equal((await stored())['alice@localhost']?.password, 'first secret');
  });

  it('lists accounts as a table and as JSON', async () => {
    const text = await posthorn(config, ['user', 'list']);
    assert.equal(text.code, 0, explain(text));
    assert.match(text.stdout, /^ACCOUNT\s+NAME\s+OTHER ADDRESSES\nalice@localhost\s+Alice Liddell\s+-\n$/);
    const json = await posthorn(config, ['user', 'list', '--json']);
    assert.deepEqual(JSON.parse(json.stdout), [{ id: 'alice@localhost', addresses: ['alice@localhost'], displayName: 'Alice Liddell' }]);
  });

  it('changes a password', async () => {
    const result = await posthorn(config, ['user', 'passwd', 'alice@localhost', '--password-stdin'], 'second secret\r\n');
    assert.equal(result.code, 0, explain(result));
    assert.equal((await stored())['alice@localhost']?.password, 'second secret');
  });

  it('refuses to ask for a password without a terminal and without --password-stdin', async () => {
    for (const args of [['user', 'add', 'bob@localhost'], ['user', 'passwd', 'alice@localhost']]) {
      const result = await posthorn(config, args, 'piped but not asked for\n');
      assert.equal(result.code, 2, explain(result));
      assert.match(result.stderr, /not a terminal.*--password-stdin/);
    }
    assert.deepEqual(Object.keys(await stored()), ['alice@localhost']);
    assert.equal((await stored())['alice@localhost']?.password, 'second secret');
  });

  it('asks twice on a terminal, without echo', { timeout: 30_000, skip: existsSync('/usr/bin/script') ? false : 'needs script(1) for a pseudo-terminal' }, async () => {
    const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, '--disable-warning=ExperimentalWarning', posthornBin(), '--config', config, 'user', 'add', 'dora@localhost'].map(quote).join(' ');
    // script(1) runs the command on a pseudo-terminal fed from its standard input.
    const child = spawn('/usr/bin/script', ['-q', '-e', '-c', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let waiting: { text: string; then: () => void } | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (waiting && output.includes(waiting.text)) waiting.then();
    });
    const prompted = (text: string) =>
      new Promise<void>((then) => {
        if (output.includes(text)) then();
        else waiting = { text, then };
      });
    const exited = new Promise<number | null>((done) => child.once('close', done));
    await prompted('New password: ');
    child.stdin.write('typed secret\r');
    await prompted('Repeat it: ');
    child.stdin.write('typed secret\r');
    assert.equal(await exited, 0, output);
    assert.match(output, /added dora@localhost/);
    assert.doesNotMatch(output, /typed secret/, 'the password was echoed');
    assert.equal((await stored())['dora@localhost']?.password, 'typed secret');
    assert.equal((await posthorn(config, ['user', 'del', 'dora@localhost'])).code, 0);
  });

  it('refuses an empty or multi-line password', async () => {
    for (const input of ['', '\n', 'one\ntwo\n']) {
      const result = await posthorn(config, ['user', 'add', 'bob@localhost', '--password-stdin'], input);
      assert.equal(result.code, 1, explain(result));
    }
    assert.deepEqual(Object.keys(await stored()), ['alice@localhost']);
  });

  it('reports an unknown account with its error code', async () => {
    const result = await posthorn(config, ['user', 'del', 'nobody@localhost']);
    assert.equal(result.code, 1, explain(result));
    assert.equal(result.stderr, 'posthorn: PH_ADMIN_UNKNOWN: no account nobody@localhost\n');
  });

  it('removes an account', async () => {
    const result = await posthorn(config, ['user', 'del', 'alice@localhost']);
    assert.equal(result.code, 0, explain(result));
    assert.equal(result.stdout, 'removed alice@localhost\n');
    assert.equal((await posthorn(config, ['user', 'list'])).stdout, 'no accounts\n');
  });

  it('fails clearly when no plugin provides accounts', async () => {
    const bare = join(dir.path, 'bare');
    await mkdir(bare);
    const result = await posthorn(await writeConfig(bare), ['user', 'list']);
    assert.equal(result.code, 1, explain(result));
    assert.match(result.stderr, /^posthorn: PH_SERVICE_MISSING: no account directory plugin is configured\n$/);
  });
});

describe('posthorn user, against a running server (control socket)', () => {
  let dir: Dir;
  let config: string;
  let server: PosthornProcess;

  /** AUTH PLAIN on the submission listener: 235 when the server takes the password. */
  const authCode = async (login: string, password: string): Promise<number> => {
    const client = await SmtpClient.open(server.ports.submission!);
    try {
      await client.command('EHLO client.test');
      return (await client.command(`AUTH PLAIN ${Buffer.from(`\0${login}\0${password}`).toString('base64')}`)).code;
    } finally {
      client.close();
    }
  };

  before(async () => {
    dir = await tempDir('posthorn-cli-');
    // Accounts kept only in the server's memory: a CLI that fell back to loading the plugins
    // itself would see an empty directory, so every answer below proves the socket was used.
    config = await writeConfig(dir.path, {
      listeners: [{ role: 'submission', allowInsecureAuth: true }],
      plugins: [{ plugin: testPlugin('accounts') }],
    });
    server = await spawnPosthorn({ configPath: config });
  });
  after(async () => {
    await server?.stop();
    await dir.remove();
  });

  it('adds, lists, changes the password of and removes an account in the server', async () => {
    const added = await posthorn(config, ['user', 'add', 'carol@localhost', '--password-stdin'], 'pw-one\n');
    assert.equal(added.code, 0, explain(added));
    const listed = await posthorn(config, ['user', 'list', '--json']);
    assert.deepEqual(JSON.parse(listed.stdout), [{ id: 'carol@localhost', addresses: ['carol@localhost'], displayName: null }]);
    assert.equal(await authCode('carol@localhost', 'pw-one'), 235);

    const changed = await posthorn(config, ['user', 'passwd', 'carol@localhost', '--password-stdin'], 'pw-two\n');
    assert.equal(changed.code, 0, explain(changed));
    assert.equal(await authCode('carol@localhost', 'pw-one'), 535);
    assert.equal(await authCode('carol@localhost', 'pw-two'), 235);

    const removed = await posthorn(config, ['user', 'del', 'carol@localhost']);
    assert.equal(removed.code, 0, explain(removed));
    assert.equal((await posthorn(config, ['user', 'list'])).stdout, 'no accounts\n');
    assert.equal(await authCode('carol@localhost', 'pw-two'), 535);
  });

  it('relays the server\'s error with its code', async () => {
    const result = await posthorn(config, ['user', 'passwd', 'nobody@localhost', '--password-stdin'], 'x\n');
    assert.equal(result.code, 1, explain(result));
    assert.equal(result.stderr, 'posthorn: PH_ADMIN_UNKNOWN: no account nobody@localhost\n');
  });
});
