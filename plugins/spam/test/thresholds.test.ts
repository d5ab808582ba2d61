import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Mailboxes, type MailStore } from '@posthorn/contracts';
import { fixture, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { outcomes } from '@posthorn/testkit/fixtures/deliver-now.ts';
import { cleanMessage, fieldsNamed, headerOf, sendOnce } from './helpers.ts';

const RULES = `
thresholds: { junk: 6.0, reject: 10.0 }
headers:
  - { name: SUBJ_JUNK, header: Subject, pattern: junkme, score: 7 }
  - { name: SUBJ_REJECT, header: Subject, pattern: rejectme, score: 12 }
block:
  - { name: BULK_SENDER, senders: ["@bulk.test"], action: junk }
scores: { FCRDNS_FAIL: 0, RDNS_NONE: 0 }
`;

describe('spam: thresholds decide between tagging, Junk and refusal', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  let store: MailStore;
  const ALICE = 'alice@example.test';

  const count = async (mailbox: string) => (await store.status({ user: ALICE, mailbox })).messages;
  const lastIn = async (mailbox: string) => {
    const [last] = (await store.listMessages({ user: ALICE, mailbox })).slice(-1);
    assert.ok(last, `nothing in ${mailbox}`);
    return store.readMessage({ user: ALICE, mailbox }, last.uid);
  };

  before(async () => {
    dir = await tempDir();
    await writeFile(join(dir.path, 'accounts.yaml'), `domains: [example.test]\nusers:\n  ${ALICE}: {}\n`);
    await writeFile(join(dir.path, 'spam-rules.yaml'), RULES);
    server = await startTestServer(
      {
        plugins: [
          { plugin: 'accounts-file', options: { file: 'accounts.yaml' } },
          'mailbox-maildir',
          fixture('deliver-now'),
          'headers',
          { plugin: 'spam', options: { rules: 'spam-rules.yaml', statsInterval: 0 } },
        ],
      },
      { dir: dir.path },
    );
    store = server.app.services.get(Mailboxes)!;
    await store.ensureAccount(ALICE);
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('delivers a message below the thresholds into INBOX, tagged', async () => {
    const inbox = await count('INBOX');
    const reply = await sendOnce(server.port(), cleanMessage({ subject: 'hello' }), { to: ALICE });
    assert.equal(reply.code, 250, reply.raw);
    assert.equal(await count('INBOX'), inbox + 1);
    assert.deepEqual(fieldsNamed(headerOf(await lastIn('INBOX')), 'X-Spam-Score'), ['X-Spam-Score: 0.0']);
  });

  it('delivers a message at or above the junk threshold into Junk', async () => {
    const [inbox, junk] = [await count('INBOX'), await count('Junk')];
    const reply = await sendOnce(server.port(), cleanMessage({ subject: 'junkme please' }), { to: ALICE });
    assert.equal(reply.code, 250, reply.raw);
    assert.equal(await count('Junk'), junk + 1);
    assert.equal(await count('INBOX'), inbox);
    const header = headerOf(await lastIn('Junk'));
    assert.deepEqual(fieldsNamed(header, 'X-Spam-Flag'), ['X-Spam-Flag: YES']);
    assert.deepEqual(fieldsNamed(header, 'X-Spam-Score'), ['X-Spam-Score: 7.0']);
  });

  it('delivers mail of a block entry with action junk into Junk whatever its score', async () => {
    const junk = await count('Junk');
    const reply = await sendOnce(server.port(), cleanMessage({ from: 'news@bulk.test' }), { to: ALICE, from: 'news@bulk.test' });
    assert.equal(reply.code, 250, reply.raw);
    assert.equal(await count('Junk'), junk + 1);
    assert.match(headerOf(await lastIn('Junk')), /X-Spam-Status: Yes, score=0\.0 required=5\.0 tests=BULK_SENDER autolearn=no\r\n/);
  });

  it('refuses a message at or above the reject threshold with 550 5.7.1 and stores nothing', async () => {
    const [inbox, junk, delivered] = [await count('INBOX'), await count('Junk'), outcomes.length];
    const reply = await sendOnce(server.port(), cleanMessage({ subject: 'rejectme now' }), { to: ALICE });
    assert.equal(reply.raw, '550 5.7.1 Message rejected as spam\r\n');
    assert.equal(outcomes.length, delivered, 'no delivery was attempted');
    assert.equal(await count('INBOX'), inbox);
    assert.equal(await count('Junk'), junk);
  });
});
