import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, isPosthornError, loadConfig, parseConfig } from '@posthorn/core';
import { tempDir } from '@posthorn/testkit';

function configError(raw: unknown): ConfigError {
  try {
    parseConfig(raw, '/etc/posthorn/posthorn.config.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
    assert.equal(err.code, 'PH_CONFIG_INVALID');
    return err;
  }
  return assert.fail('parseConfig should refuse this config');
}

describe('parseConfig', () => {
  it('fills every default for an empty config', () => {
    const config = parseConfig({}, undefined, '/srv/mail');
    assert.equal(config.filepath, undefined);
    assert.equal(config.dir, '/srv/mail');
    assert.equal(config.core.dataDir, '/srv/mail/var');
    assert.equal(typeof config.core.hostname, 'string');
    assert.ok(config.core.hostname.length > 0);
    assert.deepEqual(config.core.log, { level: 'info', format: 'auto' });
    assert.deepEqual(config.core.dns, { timeout: 2000, tries: 2 });
    assert.deepEqual(config.core.tls, {});
    assert.deepEqual(config.core.timeouts, { hook: 30000, deliver: 600000 });
    assert.deepEqual(config.core.control, { enabled: true, socket: '/srv/mail/var/control.sock' });
    assert.deepEqual(config.core.listeners, []);
    assert.deepEqual(config.plugins, []);
  });

  it('an undefined config is an empty one', () => {
    assert.deepEqual(parseConfig(undefined, undefined, '/srv').core.listeners, []);
  });

  it('resolves paths against the config file directory', () => {
    const config = parseConfig({ dataDir: 'data', tls: { key: 'tls/key.pem', cert: '/abs/cert.pem' }, control: { socket: 'ctl.sock' } }, '/etc/posthorn/posthorn.config.yaml');
    assert.equal(config.dir, '/etc/posthorn');
    assert.equal(config.core.dataDir, '/etc/posthorn/data');
    assert.deepEqual(config.core.tls, { key: '/etc/posthorn/tls/key.pem', cert: '/abs/cert.pem' });
    assert.equal(config.core.control.socket, '/etc/posthorn/data/ctl.sock');
  });

  it('fills listener defaults and role defaults: greetingDelay 100 on mx, 0 on submission', () => {
    const config = parseConfig(
      {
        listeners: [
          { role: 'mx', port: 25 },
          { role: 'submission', port: 587 },
          { role: 'submissions', port: 465 },
        ],
      },
      undefined,
      '/srv',
    );
    const [mx, submission, submissions] = config.core.listeners;
    assert.equal(mx?.name, 'mx');
    assert.equal(mx?.greetingDelay, 100);
    assert.equal(mx?.reverseLookup, true);
    assert.equal(mx?.host, '127.0.0.1');
    assert.equal(mx?.maxMessageSize, 26214400);
    assert.equal(mx?.maxRecipients, 100);
    assert.equal(mx?.maxLineLength, 1000);
    assert.equal(mx?.maxConnectionsPerIp, 50);
    assert.equal(mx?.allowInsecureAuth, false);
    assert.equal(submission?.name, 'submission');
    assert.equal(submission?.greetingDelay, 0);
    assert.equal(submission?.reverseLookup, false);
    assert.equal(submissions?.greetingDelay, 0);
  });

  it('an explicit value beats the role default', () => {
    const [mx] = parseConfig({ listeners: [{ role: 'mx', port: 25, greetingDelay: 0, reverseLookup: false }] }, undefined, '/srv').core.listeners;
    assert.equal(mx?.greetingDelay, 0);
    assert.equal(mx?.reverseLookup, false);
  });

  it('refuses two listeners with the same name, pointing at the second', () => {
    const err = configError({
      listeners: [
        { role: 'mx', port: 25 },
        { role: 'mx', port: 2525 },
      ],
    });
    assert.deepEqual(err.issues.map((i) => i.pointer), ['/listeners/1/name']);
    assert.match(err.message, /duplicate listener name mx/);
    // Distinct names make the same pair fine.
    assert.equal(
      parseConfig(
        {
          listeners: [
            { role: 'mx', port: 25 },
            { name: 'mx-alt', role: 'mx', port: 2525 },
          ],
        },
        undefined,
        '/srv',
      ).core.listeners.length,
      2,
    );
  });

  it('refuses unknown keys at every level, with their pointers', () => {
    const err = configError({ hostnme: 'typo', log: { levle: 'debug' }, listeners: [{ role: 'mx', port: 25, greetingDelya: 5 }], plugins: [{ plugin: 'x', optinos: {} }] });
    const pointers = err.issues.map((i) => i.pointer);
    assert.ok(pointers.includes('/hostnme'), pointers.join());
    assert.ok(pointers.includes('/log/levle'), pointers.join());
    assert.ok(pointers.includes('/listeners/0/greetingDelya'), pointers.join());
    assert.ok(err.issues.some((i) => i.pointer.startsWith('/plugins/0')), pointers.join());
    assert.match(err.message, /posthorn\.config\.yaml/);
  });

  it('refuses wrong types and values without coercion', () => {
    assert.ok(configError({ listeners: [{ role: 'mx', port: '25' }] }).issues.some((i) => i.pointer === '/listeners/0/port'));
    assert.ok(configError({ listeners: [{ role: 'relay', port: 25 }] }).issues.some((i) => i.pointer === '/listeners/0/role'));
    assert.ok(configError({ listeners: [{ role: 'mx', port: 25, idleTimeout: 10 }] }).issues.some((i) => i.pointer === '/listeners/0/idleTimeout'));
    assert.ok(configError({ listeners: [{ role: 'mx' }] }).issues.length > 0);
    assert.ok(configError({ listeners: [{ role: 'mx', port: 25, banner: 'hi\r\n250 forged' }] }).issues.some((i) => i.pointer === '/listeners/0/banner'));
    assert.ok(configError({ hostname: 'bad host' }).issues.some((i) => i.pointer === '/hostname'));
    assert.ok(configError({ tls: { key: 'k.pem' } }).issues.length > 0, 'key without cert');
  });

  it('normalises plugin entries, keeping their index for error pointers', () => {
    const config = parseConfig({ plugins: ['a', { plugin: 'b', options: { x: 1 }, timeout: 500 }, { plugin: 'c' }] }, undefined, '/srv');
    assert.deepEqual(config.plugins, [
      { plugin: 'a', options: {}, index: 0 },
      { plugin: 'b', options: { x: 1 }, index: 1, timeout: 500 },
      { plugin: 'c', options: {}, index: 2 },
    ]);
  });

  it('does not change the object it was given, and freezes what it returns', () => {
    const raw = { listeners: [{ role: 'mx', port: 25 }], plugins: [{ plugin: 'b', options: { x: 1 } }] };
    const snapshot = structuredClone(raw);
    const config = parseConfig(raw, undefined, '/srv');
    assert.deepEqual(raw, snapshot);
    assert.equal(Object.isFrozen(raw), false);
    assert.ok(Object.isFrozen(config.core.listeners[0]));
    assert.ok(Object.isFrozen(config.plugins[0]?.options));
  });
});

describe('loadConfig', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir();
    // Bounds cosmiconfig's upward search to this directory.
    await writeFile(join(dir.path, 'package.json'), '{"name":"project","private":true}');
  });
  after(() => dir.remove());

  it('reads a YAML file by path and resolves relative paths against its directory', async () => {
    await mkdir(join(dir.path, 'etc'));
    await writeFile(join(dir.path, 'etc', 'posthorn.config.yaml'), 'hostname: mx.example.org\ndataDir: ../spool\nlisteners:\n  - role: mx\n    port: 2525\n');
    const config = await loadConfig({ path: 'etc/posthorn.config.yaml', cwd: dir.path });
    assert.equal(config.filepath, join(dir.path, 'etc', 'posthorn.config.yaml'));
    assert.equal(config.core.hostname, 'mx.example.org');
    assert.equal(config.core.dataDir, join(dir.path, 'spool'));
    assert.equal(config.core.listeners[0]?.port, 2525);
  });

  it('finds .posthornrc.json by searching from the working directory', async () => {
    const project = join(dir.path, 'found');
    await mkdir(join(project, 'sub'), { recursive: true });
    await writeFile(join(project, 'package.json'), '{"name":"found","private":true}');
    await writeFile(join(project, '.posthornrc.json'), JSON.stringify({ hostname: 'found.example' }));
    const config = await loadConfig({ cwd: join(project, 'sub') });
    assert.equal(config.core.hostname, 'found.example');
  });

  it('reports a missing config with PH_CONFIG_NOT_FOUND', async () => {
    const empty = join(dir.path, 'empty');
    await mkdir(empty);
    await writeFile(join(empty, 'package.json'), '{"name":"empty","private":true}');
    await assert.rejects(loadConfig({ cwd: empty }), (err: unknown) => isPosthornError(err, 'PH_CONFIG_NOT_FOUND'));
  });

  it('reports unparsable YAML with PH_CONFIG_UNREADABLE and an invalid one with PH_CONFIG_INVALID', async () => {
    await writeFile(join(dir.path, 'broken.yaml'), 'listeners: [\n  - role: mx\n');
    await assert.rejects(loadConfig({ path: 'broken.yaml', cwd: dir.path }), (err: unknown) => isPosthornError(err, 'PH_CONFIG_UNREADABLE'));
    await writeFile(join(dir.path, 'invalid.yaml'), 'listeners:\n  - role: mx\n    port: 25\n    colour: blue\n');
    await assert.rejects(loadConfig({ path: 'invalid.yaml', cwd: dir.path }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.issues.map((i) => i.pointer), ['/listeners/0/colour']);
      assert.equal(err.file, join(dir.path, 'invalid.yaml'));
      return true;
    });
  });
});
