import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { captureLogs, fixture, SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { command } from './helpers/replies.ts';

const blocklist = fileURLToPath(new URL('./fixtures/blocklist.ts', import.meta.url));

async function replaceFile(file: string, text: string): Promise<void> {
  await writeFile(`${file}.new`, text);
  await rename(`${file}.new`, file);
}

describe('rule files reloaded under a live session', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  let file: string;
  const logs = captureLogs('info');

  before(async () => {
    dir = await tempDir();
    file = join(dir.path, 'blocked.yaml');
    await writeFile(file, 'blocked: [one@localhost]\n');
    server = await startTestServer({ plugins: [fixture('memory-queue'), { plugin: blocklist, options: { file } }] }, { dir: dir.path, logger: logs.logger });
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('judges the next transaction of the same session by the new rules; a bad file changes nothing', async () => {
    const client = await SmtpClient.open(server.port());
    await command(client, 'EHLO client.test');
    await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
    await command(client, 'RCPT TO:<one@localhost>', 550, '5.7.1');
    await command(client, 'RCPT TO:<two@localhost>', 250, '2.1.5');

    // A stricter file arrives mid-transaction: this transaction keeps its snapshot.
    await replaceFile(file, 'blocked: [one@localhost, two@localhost]\n');
    assert.deepEqual(await server.app.admin('reload'), [{ file, reloaded: true }]);
    await command(client, 'RCPT TO:<two@localhost>', 250, '2.1.5');
    await command(client, 'RSET', 250, '2.0.0');

    // The next transaction in the same session sees the new rules.
    await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
    await command(client, 'RCPT TO:<two@localhost>', 550, '5.7.1');

    // An invalid file is refused with a log line naming file and line; the rules stay.
    await replaceFile(file, 'blocked: [one@localhost]\nextra: true\n');
    assert.deepEqual(await server.app.admin('reload'), [{ file, reloaded: false }]);
    const refusal = logs.lines.find((l) => l.level === 'error' && l.file === file);
    assert.equal(refusal?.line, 2);
    await command(client, 'RSET', 250, '2.0.0');
    await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
    await command(client, 'RCPT TO:<two@localhost>', 550, '5.7.1');
    assert.equal(client.closed, false, 'the session was never dropped');
    client.close();
  });
});
