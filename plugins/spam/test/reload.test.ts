/**
 * Issue 4's hot-reload test, with the real binary: a rule file replaced under an open SMTP
 * session judges the next message of that session; an invalid file is refused (logged with file,
 * line and pointer; `posthorn reload` says so) and the rules in force stay; the session lives on.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixture, type PosthornProcess, runPosthorn, SmtpClient, spawnPosthorn, startDnsServer, tempDir, type TestDnsServer } from '@posthorn/testkit';
import { cleanMessage, replaceFile, transaction } from './helpers.ts';

const LENIENT = `# tags money, refuses nothing it matches alone
thresholds: { reject: 10 }
headers:
  - { name: SUBJ_MONEY, header: Subject, pattern: money, score: 3 }
`;

const STRICT = `# money alone is now enough to refuse
thresholds: { reject: 10 }
headers:
  - { name: SUBJ_MONEY, header: Subject, pattern: money, score: 12 }
`;

// Line 5 holds a regular expression that does not compile.
const INVALID = `thresholds: { reject: 10 }
headers:
  - name: SUBJ_MONEY
    header: Subject
    pattern: "money("
    score: 1
`;

describe('spam rules reloaded under a live session (real binary)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let server: PosthornProcess | undefined;
  let config: string;
  let rules: string;

  before(async () => {
    dir = await tempDir('posthorn-spam-reload-');
    dns = await startDnsServer({ localhost: { A: ['127.0.0.1'] } });
    config = join(dir.path, 'posthorn.config.yaml');
    rules = join(dir.path, 'spam-rules.yaml');
    await writeFile(rules, LENIENT);
    await writeFile(
      config,
      [
        'hostname: mx.test',
        'dataDir: ./var',
        'log: { level: info, format: json }',
        `dns: { servers: ["${dns.server}"], timeout: 1000, tries: 1 }`,
        'listeners:',
        '  - { role: mx, port: 0, greetingDelay: 0 }',
        'plugins:',
        `  - plugin: ${JSON.stringify(fixture('memory-queue'))}`,
        '    options: { domains: [example.test] }',
        '  - headers',
        '  - plugin: spam',
        '    options: { rules: spam-rules.yaml, statsInterval: 0 }',
        '',
      ].join('\n'),
    );
    server = await spawnPosthorn({ configPath: config });
  });
  after(async () => {
    if (server) {
      const exit = await server.stop();
      assert.equal(exit.code, 0, server.stderr.join('\n'));
    }
    await dns.close();
    await dir.remove();
  });

  it('judges the next message of the open session by the new file and keeps the old rules when the file is invalid', async () => {
    const proc = server!;
    const client = await SmtpClient.open(proc.ports.mx!);
    try {
      assert.equal((await client.command('EHLO client.test')).code, 250);
      const money = () => cleanMessage({ subject: 'money for you' });

      // The rules the server started with: money scores 3, well below the reject threshold.
      assert.equal((await transaction(client, money())).code, 250);

      // A stricter file replaces it while the session stays open; the file watch picks it up.
      await replaceFile(rules, STRICT);
      await proc.waitForLine((line) => line.includes('"rule file reloaded"') && line.includes(JSON.stringify(rules)), 10_000);
      const refused = await transaction(client, money());
      assert.equal(refused.raw, '550 5.7.1 Message rejected as spam\r\n');

      // An invalid file: refused with an error line naming the file, the line and the pointer.
      await replaceFile(rules, INVALID);
      const errorLine = await proc.waitForLine((line) => line.includes('"level":"error"') && line.includes(JSON.stringify(rules)), 10_000);
      const entry = JSON.parse(errorLine) as Record<string, unknown>;
      assert.equal(entry.plugin, 'spam');
      assert.equal(entry.file, rules);
      assert.equal(entry.line, 5);
      assert.equal(entry.pointer, '/headers/0/pattern');
      assert.match(String(entry.msg), /previous version stays in force/);
      assert.match(String(entry.msg), new RegExp(`${rules.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5 /headers/0/pattern: invalid regular expression`));

      // `posthorn reload` (through the control socket) reports the refusal too.
      const reload = await runPosthorn(['--config', config, 'reload']);
      assert.equal(reload.code, 1, reload.stderr);
      assert.equal(reload.stdout, `refused (previous version kept; see the log): ${rules}\n`);

      // The strict rules are still in force, on the very same connection...
      assert.equal((await transaction(client, money())).raw, '550 5.7.1 Message rejected as spam\r\n');
      // ...which was never dropped: a last, harmless message goes through.
      assert.equal((await transaction(client, cleanMessage({ subject: 'lunch tomorrow?' }))).code, 250);
      assert.equal(client.closed, false);
      assert.equal((await client.command('QUIT')).code, 221);
    } finally {
      client.close();
    }
    // One line per message, on the transaction's logger (cid, tid), with score and outcome.
    // Logging is asynchronous: wait for the fourth line before reading them.
    let seen = 0;
    await proc.waitForLine((line) => line.includes('"msg":"spam: scored"') && ++seen === 4, 10_000);
    const scored = proc.logs().filter((line) => line.msg === 'spam: scored');
    assert.deepEqual(
      scored.map((line) => [line.score, line.outcome]),
      [
        [3, 'ham'],
        [12, 'reject'],
        [12, 'reject'],
        [0, 'ham'],
      ],
    );

    // The counters, as an operator reads them from the running server.
    const stats = await runPosthorn(['--config', config, 'spam', 'stats']);
    assert.equal(stats.code, 0, stats.stderr);
    const counters = JSON.parse(stats.stdout) as { messages: number; outcomes: Record<string, number>; tests: Record<string, number> };
    assert.equal(counters.messages, 4);
    assert.deepEqual(counters.outcomes, { ham: 2, spam: 0, junk: 0, reject: 2, accept: 0 });
    assert.deepEqual(counters.tests, { SUBJ_MONEY: 3 });
  });
});
