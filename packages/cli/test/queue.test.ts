import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SmtpClient, spawnPosthorn, tempDir, type PosthornProcess } from '@posthorn/testkit';
import { explain, posthorn, testPlugin, writeConfig } from './helpers.ts';

type Dir = Awaited<ReturnType<typeof tempDir>>;

describe('posthorn queue, with no server running', () => {
  let dir: Dir;
  before(async () => {
    dir = await tempDir('posthorn-cli-');
  });
  after(() => dir.remove());

  it('says the queue is empty', async () => {
    const config = await writeConfig(dir.path, { plugins: [testPlugin('queue')] });
    const text = await posthorn(config, ['queue', 'list']);
    assert.equal(text.code, 0, explain(text));
    assert.equal(text.stdout, 'the queue is empty\n');
    const json = await posthorn(config, ['queue', 'list', '--json']);
    assert.equal(json.code, 0, explain(json));
    assert.deepEqual(JSON.parse(json.stdout), []);
  });

  it('fails clearly when no plugin provides a queue', async () => {
    const bare = join(dir.path, 'bare');
    await mkdir(bare);
    const result = await posthorn(await writeConfig(bare), ['queue', 'list']);
    assert.equal(result.code, 1, explain(result));
    assert.equal(result.stderr, 'posthorn: PH_SERVICE_MISSING: no queue plugin is configured\n');
  });
});

describe('posthorn queue and plugins, against a running server', () => {
  let dir: Dir;
  let config: string;
  let server: PosthornProcess;
  let id: string;

  before(async () => {
    dir = await tempDir('posthorn-cli-');
    // The queue lives in the server's memory: only the control socket can see its messages.
    config = await writeConfig(dir.path, { plugins: [testPlugin('queue')] });
    server = await spawnPosthorn({ configPath: config });
    const client = await SmtpClient.open(server.ports.mx!);
    const reply = await client.send('Subject: queued for the CLI\r\n\r\nbody\r\n', { from: 'sender@example.org', to: ['bob@localhost', 'carol@localhost'] });
    client.close();
    assert.equal(reply.code, 250, reply.raw);
    id = /queued as (\S+)/.exec(reply.lines.at(-1)!)![1]!;
  });
  after(async () => {
    await server?.stop();
    await dir.remove();
  });

  it('lists the message with one row per recipient', async () => {
    const result = await posthorn(config, ['queue', 'list']);
    assert.equal(result.code, 0, explain(result));
    const lines = result.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID\s+AGE\s+FROM\s+RECIPIENT\s+STATE\s+NEXT ATTEMPT\s+LAST ERROR$/);
    assert.match(lines[1]!, new RegExp(`^${id}\\s+\\d+s\\s+sender@example\\.org\\s+bob@localhost\\s+deferred \\(1\\)\\s+in \\d+m\\s+451 4\\.4\\.1 Connection refused \\(by mx\\.remote\\.test\\)$`));
    assert.match(lines[2]!, /^\s+carol@localhost\s+deferred \(1\)\s+in \d+m\s+451 4\.4\.1 Connection refused/);
    assert.equal(lines.at(-1), '1 message(s)');
  });

  it('shows one message with its header', async () => {
    const result = await posthorn(config, ['queue', 'show', id]);
    assert.equal(result.code, 0, explain(result));
    assert.match(result.stdout, new RegExp(`^id:\\s+${id}$`, 'm'));
    assert.match(result.stdout, /^from:\s+sender@example\.org$/m);
    assert.match(result.stdout, /^origin:\s+mx \(mx\) from localhost \[127\.0\.0\.1\], helo client\.test, no tls$/m);
    assert.match(result.stdout, /^Received: from client\.test /m);
    assert.match(result.stdout, /^Subject: queued for the CLI$/m);
    assert.doesNotMatch(result.stdout, /body/);
  });

  it('makes a message due now', async () => {
    const result = await posthorn(config, ['queue', 'retry', id]);
    assert.equal(result.code, 0, explain(result));
    assert.equal(result.stdout, '1 message(s) due now\n');
    const listed = JSON.parse((await posthorn(config, ['queue', 'list', '--json'])).stdout) as { recipients: { status: string }[] }[];
    assert.deepEqual(listed[0]?.recipients.map((r) => r.status), ['pending', 'pending']);
  });

  it('prints who taps what and who provides which service', async () => {
    const text = await posthorn(config, ['plugins']);
    assert.equal(text.code, 0, explain(text));
    assert.match(text.stdout, /^  test-queue\s+0\.1\.0\s+posthorn\.queue\s+-\s+-$/m);
    assert.match(text.stdout, /^  rcpt\s+test-queue$/m);
    assert.match(text.stdout, /^  posthorn\.resolver\s+core\s+/m);
    assert.match(text.stdout, /^  queue\.list\s+List queued messages/m);
    const json = JSON.parse((await posthorn(config, ['plugins', '--json'])).stdout) as { hooks: Record<string, { plugin: string }[]>; services: { id: string; provider: string }[] };
    assert.deepEqual(json.hooks.queue, [{ plugin: 'test-queue', stage: 0 }]);
    assert.ok(json.services.some((s) => s.id === 'posthorn.queue' && s.provider === 'test-queue'));
  });

  it('deletes a message, then refuses to show it', async () => {
    const deleted = await posthorn(config, ['queue', 'delete', id]);
    assert.equal(deleted.code, 0, explain(deleted));
    assert.equal(deleted.stdout, `deleted ${id}\n`);
    assert.equal((await posthorn(config, ['queue', 'list'])).stdout, 'the queue is empty\n');
    const shown = await posthorn(config, ['queue', 'show', id]);
    assert.equal(shown.code, 1, explain(shown));
    assert.equal(shown.stderr, `posthorn: PH_ADMIN_UNKNOWN: no queued message ${id}\n`);
  });
});
