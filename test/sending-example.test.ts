/**
 * config/examples/sending.yaml as shipped: `posthorn check-config` accepts it with its three
 * listeners and eleven plugins, and docs/sending.md (linked from the README) explains every plugin
 * it lists. The other end-to-end files (submission, outbound, auth-relay) run this same file
 * with test ports, DNS and data directory (test/helpers/sending.ts).
 */
import assert from 'node:assert/strict';
import { access, readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readConfigFile } from '@posthorn/core';
import { runPosthorn } from '@posthorn/testkit';
import { ROOT } from './helpers/embedded.ts';
import { explain } from './helpers/posthorn.ts';
import { EXAMPLE } from './helpers/sending.ts';

const PLUGINS = ['accounts-file', 'mailbox-maildir', 'queue-fs', 'auth', 'relay', 'sender-policy', 'headers', 'dkim-sign', 'outbound', 'dsn', 'sender-auth', 'spam', 'pop3'];

describe('the sending example', () => {
  it('passes posthorn check-config', async () => {
    // Its dataDir is relative (config/examples/var); a check must not create it.
    const dataDir = join(ROOT, 'config/examples/var');
    const existed = await access(dataDir).then(
      () => true,
      () => false,
    );
    try {
      const result = await runPosthorn(['--config', EXAMPLE, 'check-config'], { cwd: ROOT });
      assert.equal(result.code, 0, explain(result));
      assert.match(result.stdout, /^ok\n/);
      assert.match(result.stdout, /: 3 listener\(s\) \(mx \(mx\) 0\.0\.0\.0:25, submission \(submission\) 0\.0\.0\.0:587, submissions \(submissions\) 0\.0\.0\.0:465\)/);
      const plugins = /; 13 plugin\(s\) \(([^)]*)\)/.exec(result.stdout)?.[1];
      assert.ok(plugins, result.stdout);
      assert.deepEqual(plugins.split(', ').map((p) => p.split(' ')[0]), PLUGINS);
      if (!existed) await assert.rejects(access(dataDir), 'check-config wrote nothing to disk');
    } finally {
      // Only an empty directory, and quietly: another run of this file may be using it.
      if (!existed) await rmdir(dataDir).catch(() => undefined);
    }
  });

  it('is explained plugin by plugin in docs/sending.md, which the README links', async () => {
    const { raw } = await readConfigFile({ path: EXAMPLE });
    const listed = (raw as { plugins: (string | { plugin: string })[] }).plugins.map((p) => (typeof p === 'string' ? p : p.plugin));
    assert.deepEqual(listed, PLUGINS);
    const doc = await readFile(join(ROOT, 'docs/sending.md'), 'utf8');
    for (const plugin of PLUGINS) assert.ok(doc.includes(`\`${plugin}\``), `docs/sending.md does not mention ${plugin}`);
    assert.ok(doc.includes('config/examples/sending.yaml'));
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    assert.match(readme, /\]\(docs\/sending\.md\)/);
  });
});
