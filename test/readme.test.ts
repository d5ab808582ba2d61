/**
 * The README's promises, checked: its two commands are there, and its "Five minutes with
 * Posthorn" walkthrough works as written. The walkthrough's shell lines are taken from the
 * README itself and run through /bin/sh in order, against a copy of the embedded config whose
 * ports are 0 and whose data directory is a temp dir (the test's working directory, so the
 * README's `var/...` paths point into it). The only rewrites: `npm start` becomes the spawned
 * server, `npm run posthorn --` the same command line the npm script runs (checked against
 * package.json), and the embedded ports the ports the server got.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { posthornBin, reverseName, spawnPosthorn, startDnsServer, tempDir, type PosthornProcess, type TestDnsServer } from '@posthorn/testkit';
import { copyForTest, ROOT, startScriptConfig } from './helpers/embedded.ts';
import { describeRun, onPath, runProgram } from './helpers/programs.ts';
import { readInbox } from './helpers/maildir.ts';
import { waitFor } from './helpers/wait.ts';

/** Shell code blocks of one `## ` section of a Markdown text, as lines. */
function shellLines(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start === -1) return [];
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end === -1 ? undefined : end);
  const lines: string[] = [];
  for (const block of section.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) {
    lines.push(...block[1]!.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#')));
  }
  return lines;
}

/** Quotes a word for /bin/sh. */
const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

describe('README', () => {
  let readme: string;
  before(async () => {
    readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  });

  it('gives the two commands: npm ci && npm start, npm ci && npm test', () => {
    const lines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) => block[1]!.split('\n').map((line) => line.replace(/#.*$/, '').trim()));
    assert.ok(lines.includes('npm ci && npm start'), 'npm ci && npm start');
    assert.ok(lines.includes('npm ci && npm test'), 'npm ci && npm test');
  });

  describe('the "Five minutes with Posthorn" walkthrough, as written', () => {
    let dir: Awaited<ReturnType<typeof tempDir>>;
    let dns: TestDnsServer;
    let server: PosthornProcess | undefined;
    const missing = ['swaks', 'curl'].filter((program) => !onPath(program));

    before(async () => {
      dir = await tempDir('posthorn-e2e-readme-');
      dns = await startDnsServer({ [reverseName('127.0.0.1')]: { PTR: ['localhost'] } });
    });
    after(async () => {
      await server?.stop();
      await dns?.close();
      await dir?.remove();
    });

    it('runs every command of it successfully', { skip: missing.length ? `not on PATH: ${missing.join(', ')} (CI installs them)` : false, timeout: 120_000 }, async (t) => {
      const lines = shellLines(readme, 'Five minutes with Posthorn');
      assert.ok(lines.length >= 5, `the walkthrough has commands: ${JSON.stringify(lines)}`);
      const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
      // `npm run posthorn -- X` is `posthorn --config config/posthorn.config.yaml X`, the same
      // config `npm start` runs; both point at our copy here.
      assert.equal(pkg.scripts.posthorn, 'posthorn --config config/posthorn.config.yaml');
      const source = await startScriptConfig();
      const config = await copyForTest(source, dir.path, dns.server);
      const posthorn = [process.execPath, '--disable-warning=ExperimentalWarning', posthornBin(), '--config', config].map(quote).join(' ');
      // Listener names as the ready line reports them: the core's by role, pop3's and imap's by their own names.
      const embeddedPorts = { mx: 2525, submission: 2587, submissions: 2465, pop3: 2110, pop3s: 2995, imap: 2143, imaps: 2993 };
      const embedded = await readFile(source, 'utf8');
      assert.match(embedded, /port: 2525\n[\s\S]*port: 2587\n[\s\S]*port: 2465\n/, 'the README ports are the embedded ones');
      assert.match(embedded, /port: 2110, tls: starttls \}[\s\S]*port: 2995, tls: implicit \}/, 'the README POP3 ports are the embedded ones');
      assert.match(embedded, /port: 2143, tls: starttls \}[\s\S]*port: 2993, tls: implicit \}/, 'the README IMAP ports are the embedded ones');
      assert.ok(lines.some((line) => /^curl .*\bimaps?:\/\//.test(line)), 'the walkthrough reads a message over IMAP');

      const inbox = join(dir.path, 'var/mail/localhost/alice/new');
      const countInbox = async () => (await readdir(inbox).catch(() => [] as string[])).length;
      let sent = 0;
      for (const line of lines) {
        if (line === 'npm ci') continue; // the dependencies are installed already
        if (line === 'npm start') {
          server = await spawnPosthorn({ configPath: config, cwd: dir.path });
          continue;
        }
        assert.ok(server, `the walkthrough starts the server before "${line}"`);
        const program = line.split(/\s+/)[0]!;
        assert.ok(['npm', 'echo', 'swaks', 'printf', 'curl', 'ls'].includes(program), `a command this test does not know how to run: ${line}`);
        let shell = line.replaceAll('npm run posthorn --', posthorn);
        for (const [name, port] of Object.entries(embeddedPorts)) shell = shell.replaceAll(`127.0.0.1:${port}`, `127.0.0.1:${server.ports[name]}`);
        assert.doesNotMatch(shell, /\bnpm\b/, `an npm command this test does not know how to run: ${line}`);

        // What a person would wait for before the next step: delivery happens after the 250.
        if (/^ls var\/mail\//.test(line)) await waitFor(async () => ((await countInbox()) >= sent ? true : undefined), `${sent} message(s) in alice's Maildir`);
        if (/ queue list$/.test(line)) {
          // The server itself says when its queue is empty (its storage format is its own business).
          const queued = async () => JSON.parse((await runProgram('/bin/sh', ['-c', `cd ${quote(dir.path)} && ${posthorn} queue list --json`])).stdout || 'null') as unknown[] | null;
          await waitFor(async () => ((await queued())?.length === 0 ? true : undefined), 'an empty queue');
        }

        const result = await runProgram('/bin/sh', ['-c', `cd ${quote(dir.path)} && ${shell}`], { timeoutMs: 60_000 });
        t.diagnostic(`$ ${line} -> exit ${result.code}`);
        assert.equal(result.code, 0, `${line}\n${describeRun(result)}`);
        const pop3 = /\bpop3s?:\/\//.test(line);
        const imap = /\bimaps?:\/\//.test(line);
        if (program === 'swaks' || (program === 'curl' && !pop3 && !imap)) sent++;
        // swaks marks lines read over TLS with `<~` instead of `<-`.
        if (program === 'swaks') assert.match(result.stdout, /<[-~] {2}250 2\.0\.0 Ok: queued as /);
        if (/ user list$/.test(line)) assert.match(result.stdout, /alice@localhost/);
        if (/^ls var\/mail\//.test(line)) assert.equal(result.stdout.trim().split('\n').length, sent, result.stdout);
        if (/ queue list$/.test(line)) assert.match(result.stdout, /the queue is empty/);
        // POP3: the listing has every message sent so far; a retrieved one is what the Maildir holds.
        if (pop3 && /:\d+\/ /.test(line)) assert.equal(result.stdout.trimEnd().split('\r\n').length, sent, result.stdout);
        if (pop3 && /:\d+\/\d+ /.test(line)) {
          const stored = await Promise.all((await readdir(inbox)).map((name) => readFile(join(inbox, name), 'utf8')));
          assert.ok(stored.includes(result.stdout), `the retrieved message is one of alice's, byte for byte:\n${result.stdout}`);
        }
        // IMAP: a message fetched by UID is what the Maildir holds (new/ or cur/: IMAP may mark it seen).
        if (imap && /;UID=\d+/.test(line)) {
          const stored = (await readInbox(join(dir.path, 'var/mail/localhost/alice'))).map((m) => m.bytes.toString('utf8'));
          assert.ok(stored.includes(result.stdout), `the fetched message is one of alice's, byte for byte:\n${result.stdout}`);
        }
      }
      assert.ok(server, 'the walkthrough starts the server');
      assert.ok(sent >= 1, 'the walkthrough sends a message');
      assert.equal(await countInbox(), sent, 'every message the walkthrough sent is in alice\'s Maildir');
      assert.deepEqual(await server.stop(), { code: 0, signal: null });
    });
  });
});
