import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixture, runPosthorn, tempDir } from '@posthorn/testkit';
import { explain, posthorn, testPlugin, writeConfig } from './helpers.ts';

describe('posthorn check-config', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir('posthorn-cli-');
  });
  after(() => dir.remove());

  it('says ok with a summary for a good config, and exits 0', async () => {
    const config = await writeConfig(dir.path, {
      listeners: [{ role: 'mx' }, { role: 'submission', name: 'msa' }],
      plugins: [fixture('memory-queue'), { plugin: testPlugin('accounts'), options: { domains: ['example.test'] } }],
    });
    const result = await posthorn(config, ['check-config']);
    assert.equal(result.code, 0, explain(result));
    const [ok, summary] = result.stdout.trimEnd().split('\n');
    assert.equal(ok, 'ok');
    assert.match(summary!, /2 listener\(s\) \(mx \(mx\) 127\.0\.0\.1:0, msa \(submission\) 127\.0\.0\.1:0\)/);
    assert.match(summary!, /2 plugin\(s\) \(test-memory-queue 0\.1\.0, test-accounts 0\.1\.0\)/);
  });

  it('accepts plugins that need SharedState without a provider listed (the core provides one), also when the core part is wrong', async () => {
    const good = await writeConfig(dir.path, { plugins: [fixture('memory-queue'), 'greylist', 'rate-limit'] });
    const ok = await posthorn(good, ['check-config']);
    assert.equal(ok.code, 0, explain(ok));
    // A broken core part makes check-config load the plugin list on its own: same rule there.
    const path = join(dir.path, 'state.json');
    await writeFile(path, JSON.stringify({ dataDir: './var', bogus: true, plugins: [fixture('memory-queue'), 'greylist', 'rate-limit'] }));
    const result = await posthorn(path, ['check-config', '--json']);
    assert.equal(result.code, 1, explain(result));
    const report = JSON.parse(result.stdout) as { issues: { pointer: string }[] };
    assert.deepEqual(report.issues.map((i) => i.pointer), ['/bogus']);
  });

  it('prints every problem with its JSON pointer and exits 1', async () => {
    const path = join(dir.path, 'broken.json');
    await writeFile(
      path,
      JSON.stringify({
        dataDir: './var',
        bogus: true,
        listeners: [{ role: 'mx', port: '25' }],
        plugins: ['no-such-plugin', { plugin: fixture('fault'), options: { hook: 'rcpt', mode: 'explode' } }],
      }),
    );
    const result = await posthorn(path, ['check-config']);
    assert.equal(result.code, 1, explain(result));
    const lines = result.stdout.trimEnd().split('\n');
    const expect = (pattern: RegExp) => assert.ok(lines.some((line) => pattern.test(line)), `no line matches ${pattern}:\n${result.stdout}`);
    expect(/^broken\.json: \/bogus unknown key$|\/broken\.json: \/bogus unknown key$/);
    expect(/broken\.json: \/listeners\/0\/port must be integer$/);
    expect(/broken\.json: \/plugins\/0 cannot find plugin no-such-plugin\b/);
    expect(/broken\.json: \/plugins\/1\/options\/mode must be equal to one of the allowed values: "throw", "hang", "garbage" \(plugin test-fault\)$/);
    assert.ok(lines.every((line) => /broken\.json: \/\S* /.test(line)), result.stdout);
  });

  it('reports plugin problems of an otherwise valid config', async () => {
    const config = await writeConfig(dir.path, { plugins: [{ plugin: testPlugin('queue'), options: { domains: 'localhost', colour: 'red' } }] });
    const result = await posthorn(config, ['check-config', '--json']);
    assert.equal(result.code, 1, explain(result));
    const report = JSON.parse(result.stdout) as { ok: boolean; issues: { pointer: string; plugin: string }[] };
    assert.equal(report.ok, false);
    assert.deepEqual(report.issues.map((i) => i.pointer).sort(), ['/plugins/0/options/colour', '/plugins/0/options/domains']);
    assert.ok(report.issues.every((i) => i.plugin === 'test-queue'));
  });

  it('refuses a plugin listed twice', async () => {
    const config = await writeConfig(dir.path, { plugins: [testPlugin('queue'), { plugin: `${testPlugin('queue')}` }] });
    const result = await posthorn(config, ['check-config']);
    assert.equal(result.code, 1, explain(result));
    assert.match(result.stdout, /: \/plugins\/1 plugin test-queue is already listed at \/plugins\/0/);
  });

  it('finds posthorn.config.json in the current directory without --config', async () => {
    await writeConfig(dir.path, { plugins: [fixture('memory-queue')] });
    const result = await runPosthorn(['check-config'], { cwd: dir.path });
    assert.equal(result.code, 0, explain(result));
    assert.match(result.stdout, /^ok\nposthorn\.config\.json: /);
  });

  it('fails with the error code when the file cannot be parsed', async () => {
    const path = join(dir.path, 'garbled.json');
    await writeFile(path, '{ "listeners": [');
    const result = await posthorn(path, ['check-config']);
    assert.equal(result.code, 1, explain(result));
    assert.match(result.stderr, /^posthorn: PH_CONFIG_UNREADABLE: /);
  });
});
