import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Resolver, type ServiceToken } from '@posthorn/contracts';
import {
  App,
  candidateNames,
  isPosthornError,
  loadPlugins,
  parseConfig,
  PluginLoadError,
  type PluginSpec,
  resolvePluginFile,
  silentLogger,
} from '@posthorn/core';
import { tempDir } from '@posthorn/testkit';
import { greetings } from './fixtures/alpha-consumer.ts';
import { setupOrder } from './fixtures/tokens.ts';
import { received } from './fixtures/with-options.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const CORE_SERVICES = [Resolver as ServiceToken<unknown>];

function spec(plugin: string, index: number, options: Record<string, unknown> = {}): PluginSpec {
  return { plugin, options, index };
}

/** Loads fixtures by path relative to this directory, as a config next to them would. */
function load(...specs: PluginSpec[]) {
  return loadPlugins(specs, HERE, CORE_SERVICES);
}

async function loadError(promise: Promise<unknown>): Promise<PluginLoadError> {
  const err = await promise.then(
    () => assert.fail('loading should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PluginLoadError, `not a PluginLoadError: ${String(err)}`);
  return err;
}

describe('candidateNames', () => {
  it('a short name tries the official scope, the community prefix, then the name itself', () => {
    assert.deepEqual(candidateNames('x'), ['@posthorn/plugin-x', 'posthorn-plugin-x', 'x']);
  });
  it('a scoped name tries the prefixed name in that scope, then the name itself', () => {
    assert.deepEqual(candidateNames('@scope/x'), ['@scope/posthorn-plugin-x', '@scope/x']);
  });
  it('the @posthorn scope names first-party plugins as @posthorn/plugin-x', () => {
    assert.deepEqual(candidateNames('@posthorn/queue-fs'), ['@posthorn/plugin-queue-fs', '@posthorn/queue-fs']);
  });
  it('full plugin names are used as they are', () => {
    assert.deepEqual(candidateNames('posthorn-plugin-x'), ['posthorn-plugin-x']);
    assert.deepEqual(candidateNames('@posthorn/plugin-x'), ['@posthorn/plugin-x']);
    assert.deepEqual(candidateNames('@scope/posthorn-plugin-x'), ['@scope/posthorn-plugin-x']);
  });
});

describe('plugin resolution', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;

  /**
   * A plugin package in the temp project's node_modules. It is branded by hand, as a plugin
   * built against another copy of the core would be (the brand is a registered symbol).
   */
  async function installPackage(packageName: string, pluginName: string, exports?: unknown): Promise<void> {
    const root = join(dir.path, 'node_modules', ...packageName.split('/'));
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'package.json'), JSON.stringify({ name: packageName, version: '1.0.0', type: 'module', ...(exports ? { exports } : { main: 'index.js' }) }));
    await writeFile(
      join(root, 'index.js'),
      `export default { [Symbol.for('posthorn.plugin.v1')]: true, name: ${JSON.stringify(pluginName)}, version: '1.0.0', core: '*', setup() {} };\n`,
    );
  }

  before(async () => {
    dir = await tempDir();
    await writeFile(join(dir.path, 'package.json'), '{"name":"project","private":true}');
    // ESM-only: exports only an "import" entry (after "types"), nothing for require().
    await installPackage('posthorn-plugin-esm-only', 'esm-only', { '.': { types: './index.d.ts', import: './index.js' } });
    await installPackage('posthorn-plugin-broken-manifest', 'never-loaded');
    await writeFile(join(dir.path, 'node_modules', 'posthorn-plugin-broken-manifest', 'package.json'), '{ "name": "broken", ');
    await installPackage('posthorn-plugin-community', 'community');
    await installPackage('@acme/posthorn-plugin-scoped', 'scoped');
    await installPackage('@acme/plain', 'plain');
    await installPackage('@posthorn/plugin-zz-official', 'zz-official');
    // Three packages a short name could mean: the official scope must win.
    await installPackage('@posthorn/plugin-zz-prec', 'official-wins');
    await installPackage('posthorn-plugin-zz-prec', 'community-loses');
    await installPackage('zz-prec', 'bare-loses');
  });
  after(() => dir.remove());

  it('finds npm packages by short, scoped and full names from the config directory', async () => {
    const loaded = await loadPlugins(
      [spec('community', 0), spec('@acme/scoped', 1), spec('@acme/plain', 2), spec('@posthorn/plugin-zz-official', 3)],
      dir.path,
      CORE_SERVICES,
    );
    assert.deepEqual(
      loaded.map((l) => l.plugin.name),
      ['community', 'scoped', 'plain', 'zz-official'],
    );
    assert.equal(loaded[0]?.from, join(dir.path, 'node_modules', 'posthorn-plugin-community', 'index.js'));
  });

  it('the full name resolves to the same package as the short one', () => {
    assert.equal(resolvePluginFile('posthorn-plugin-community', dir.path), resolvePluginFile('community', dir.path));
  });

  it('prefers @posthorn/plugin-x over posthorn-plugin-x over x', async () => {
    const [loaded] = await loadPlugins([spec('zz-prec', 0)], dir.path, CORE_SERVICES);
    assert.equal(loaded?.plugin.name, 'official-wins');
  });

  it('loads an ESM-only package whose exports have no require entry', async () => {
    const [loaded] = await loadPlugins([spec('esm-only', 0)], dir.path, CORE_SERVICES);
    assert.equal(loaded?.plugin.name, 'esm-only');
    assert.equal(loaded?.from, join(dir.path, 'node_modules', 'posthorn-plugin-esm-only', 'index.js'));
  });

  it('reports a package with a broken package.json as a plugin problem, not a crash', async () => {
    const err = await loadError(loadPlugins([spec('broken-manifest', 0)], dir.path, CORE_SERVICES));
    assert.equal(err.code, 'PH_PLUGIN_INVALID');
    assert.equal(err.issues[0]?.pointer, '/plugins/0');
  });

  it('resolves a relative path against the config directory, not the working directory', async () => {
    const [loaded] = await load(spec('./fixtures/alpha-provider.ts', 0));
    assert.equal(loaded?.plugin.name, 'test-alpha-provider');
    assert.equal(loaded?.from, join(HERE, 'fixtures', 'alpha-provider.ts'));
    // The same relative path from another directory does not exist.
    await loadError(loadPlugins([spec('./fixtures/alpha-provider.ts', 0)], dir.path, CORE_SERVICES));
  });

  it('resolves absolute paths and file: URLs', async () => {
    const absolute = join(HERE, 'fixtures', 'alpha-provider.ts');
    const [byPath] = await loadPlugins([spec(absolute, 0)], dir.path, CORE_SERVICES);
    assert.equal(byPath?.plugin.name, 'test-alpha-provider');
    const [byUrl] = await loadPlugins([spec(pathToFileURL(absolute).href, 0)], dir.path, CORE_SERVICES);
    assert.equal(byUrl?.plugin.name, 'test-alpha-provider');
  });

  it('accepts a plugin exported as `plugin` instead of default', async () => {
    const [loaded] = await load(spec('./fixtures/named-export.ts', 0));
    assert.equal(loaded?.plugin.name, 'test-named-export');
  });

  it('reports a plugin that cannot be found, with the names it tried', async () => {
    const err = await loadError(loadPlugins([spec('zz-does-not-exist', 0)], dir.path, CORE_SERVICES));
    assert.equal(err.code, 'PH_PLUGIN_NOT_FOUND');
    assert.equal(err.issues[0]?.pointer, '/plugins/0');
    assert.match(err.message, /@posthorn\/plugin-zz-does-not-exist, posthorn-plugin-zz-does-not-exist, zz-does-not-exist/);
    const missingPath = await loadError(load(spec('./fixtures/nope.ts', 0)));
    assert.equal(missingPath.code, 'PH_PLUGIN_NOT_FOUND');
  });
});

describe('loadPlugins checks', () => {
  it('refuses a module that is not a definePlugin value', async () => {
    const err = await loadError(load(spec('./fixtures/not-a-plugin.ts', 0)));
    assert.equal(err.code, 'PH_PLUGIN_INVALID');
    assert.equal(err.issues[0]?.pointer, '/plugins/0');
    assert.match(err.message, /definePlugin/);
  });

  it('refuses the same plugin listed twice', async () => {
    const err = await loadError(load(spec('./fixtures/alpha-provider.ts', 0), spec('./fixtures/with-options.ts', 1), spec('./fixtures/alpha-provider.ts', 2)));
    assert.equal(err.code, 'PH_PLUGIN_DUPLICATE');
    assert.equal(err.issues[0]?.plugin, 'test-alpha-provider');
    assert.equal(err.issues[0]?.pointer, '/plugins/2');
    assert.match(err.message, /already listed at \/plugins\/0/);
  });

  it('refuses a plugin that does not support this core', async () => {
    const err = await loadError(load(spec('./fixtures/future-core.ts', 0)));
    assert.equal(err.code, 'PH_PLUGIN_CORE_RANGE');
    assert.equal(err.issues[0]?.plugin, 'test-future-core');
    assert.match(err.message, /\^9/);
  });

  it('fills option defaults, deeply', async () => {
    const [loaded] = await load(spec('./fixtures/with-options.ts', 0, { greeting: 'hi' }));
    assert.deepEqual(loaded?.options, { greeting: 'hi', retries: 3, limits: { perHour: 60, burst: 5 }, tags: [] });
  });

  it('freezes the options, nested objects included', async () => {
    const [loaded] = await load(spec('./fixtures/with-options.ts', 0, { tags: ['a'] }));
    const options = loaded!.options as { limits: object; tags: string[] };
    assert.ok(Object.isFrozen(options));
    assert.ok(Object.isFrozen(options.limits));
    assert.ok(Object.isFrozen(options.tags));
    assert.throws(() => {
      options.tags.push('b');
    }, TypeError);
  });

  it('does not touch the options object it was given', async () => {
    const given = { greeting: 'hi', limits: { burst: 1 } };
    const snapshot = structuredClone(given);
    await load(spec('./fixtures/with-options.ts', 0, given));
    assert.deepEqual(given, snapshot);
    assert.equal(Object.isFrozen(given), false);
    assert.equal(Object.isFrozen(given.limits), false);
  });

  it('refuses unknown option keys with the JSON pointer of each', async () => {
    const err = await loadError(load(spec('./fixtures/alpha-provider.ts', 0), spec('./fixtures/with-options.ts', 1, { foo: 1, limits: { bogus: true } })));
    assert.equal(err.code, 'PH_PLUGIN_OPTIONS');
    const pointers = err.issues.map((i) => i.pointer).sort();
    assert.deepEqual(pointers, ['/plugins/1/options/foo', '/plugins/1/options/limits/bogus']);
    assert.ok(err.issues.every((i) => i.plugin === 'test-with-options'));
    assert.match(err.message, /\/plugins\/1\/options\/foo unknown key/);
  });

  it('refuses options of the wrong type without coercing them', async () => {
    const err = await loadError(load(spec('./fixtures/with-options.ts', 0, { retries: '3' })));
    assert.equal(err.issues[0]?.pointer, '/plugins/0/options/retries');
  });

  it('a plugin without an options schema takes no options', async () => {
    const err = await loadError(load(spec('./fixtures/alpha-provider.ts', 0, { anything: 1 })));
    assert.equal(err.code, 'PH_PLUGIN_OPTIONS');
    assert.equal(err.issues[0]?.pointer, '/plugins/0/options/anything');
  });

  it('collects problems of several plugins before failing', async () => {
    const err = await loadError(load(spec('./fixtures/not-a-plugin.ts', 0), spec('./fixtures/future-core.ts', 1), spec('./fixtures/with-options.ts', 2, { foo: 1 })));
    assert.deepEqual(
      err.issues.map((i) => i.code),
      ['PH_PLUGIN_INVALID', 'PH_PLUGIN_CORE_RANGE', 'PH_PLUGIN_OPTIONS'],
    );
  });
});

describe('service ordering', () => {
  it('refuses a plugin whose needed service nobody provides, naming both', async () => {
    const err = await loadError(load(spec('./fixtures/needs-nobody.ts', 0)));
    assert.equal(err.code, 'PH_SERVICE_MISSING');
    assert.equal(err.issues[0]?.plugin, 'test-needs-nobody');
    assert.match(err.message, /test-needs-nobody/);
    assert.match(err.message, /test\.nobody/);
  });

  it('refuses two providers of one service', async () => {
    const err = await loadError(load(spec('./fixtures/alpha-provider.ts', 0), spec('./fixtures/alpha-twin.ts', 1)));
    assert.equal(err.code, 'PH_SERVICE_DUPLICATE');
    assert.match(err.message, /test\.alpha/);
    assert.match(err.message, /test-alpha-provider/);
    assert.match(err.message, /test-alpha-twin/);
  });

  it('refuses a plugin providing a service the core already provides', async () => {
    const err = await loadError(loadPlugins([spec('./fixtures/alpha-provider.ts', 0)], HERE, [{ id: 'test.alpha', description: 'core copy' }]));
    assert.equal(err.code, 'PH_SERVICE_DUPLICATE');
    assert.match(err.message, /core/);
  });

  it('refuses plugins that need each other', async () => {
    const err = await loadError(load(spec('./fixtures/cycle-beta.ts', 0), spec('./fixtures/cycle-gamma.ts', 1)));
    assert.equal(err.code, 'PH_SERVICE_CYCLE');
    assert.match(err.message, /test-cycle-beta -> test-cycle-gamma -> test-cycle-beta/);
  });

  it('puts a provider before its consumer even when the consumer is listed first', async () => {
    const loaded = await load(spec('./fixtures/with-options.ts', 0), spec('./fixtures/alpha-consumer.ts', 1), spec('./fixtures/alpha-provider.ts', 2));
    assert.deepEqual(
      loaded.map((l) => l.plugin.name),
      ['test-with-options', 'test-alpha-provider', 'test-alpha-consumer'],
    );
    // The config index stays with each plugin, for error pointers.
    assert.deepEqual(
      loaded.map((l) => l.spec.index),
      [0, 2, 1],
    );
  });
});

describe('App setup', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.remove());

  function config(plugins: unknown[]) {
    return parseConfig({ dataDir: join(dir.path, 'var'), dns: { servers: ['127.0.0.1:9'] }, plugins }, undefined, HERE);
  }

  it('sets up a provider before a consumer listed ahead of it, and the consumer gets the service', async () => {
    setupOrder.length = 0;
    greetings.length = 0;
    const app = await App.create(config(['./fixtures/alpha-consumer.ts', './fixtures/alpha-provider.ts']), { mode: 'admin', logger: silentLogger() });
    assert.deepEqual(setupOrder, ['test-alpha-provider', 'test-alpha-consumer']);
    assert.deepEqual(greetings, ['hello consumer']);
    assert.equal(app.describe().services.find((s) => s.id === 'test.alpha')?.provider, 'test-alpha-provider');
    await app.stop();
  });

  it('hands setup the validated, frozen options', async () => {
    received.length = 0;
    const app = await App.create(config([{ plugin: './fixtures/with-options.ts', options: { retries: 1 } }]), { mode: 'admin', logger: silentLogger() });
    assert.equal(received.length, 1);
    const options = received[0]!;
    assert.deepEqual(options, { greeting: 'hello', retries: 1, limits: { perHour: 60, burst: 5 }, tags: [] });
    assert.ok(Object.isFrozen(options) && Object.isFrozen(options.limits));
    await app.stop();
  });

  it('reports an unknown option key through the config with its pointer', async () => {
    const err = await App.create(config(['./fixtures/alpha-provider.ts', { plugin: './fixtures/with-options.ts', options: { foo: 1 } }]), {
      mode: 'admin',
      logger: silentLogger(),
    }).then(
      () => assert.fail('should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof PluginLoadError);
    assert.equal(err.issues[0]?.pointer, '/plugins/1/options/foo');
  });

  it('refuses a plugin that provides a service it did not declare', async () => {
    await assert.rejects(
      App.create(config(['./fixtures/undeclared-provide.ts']), { mode: 'admin', logger: silentLogger() }),
      (err: unknown) => isPosthornError(err, 'PH_SERVICE_UNDECLARED') && err.details.plugin === 'test-undeclared-provide',
    );
  });

  it('refuses a plugin that asks for a service it did not declare, even when it exists', async () => {
    await assert.rejects(
      App.create(config(['./fixtures/alpha-provider.ts', './fixtures/undeclared-service.ts']), { mode: 'admin', logger: silentLogger() }),
      (err: unknown) => isPosthornError(err, 'PH_SERVICE_UNDECLARED') && err.details.plugin === 'test-undeclared-service' && /test\.alpha/.test(err.message),
    );
  });

  it('refuses a plugin that declares a service but never provides it', async () => {
    await assert.rejects(
      App.create(config(['./fixtures/declares-but-skips.ts']), { mode: 'admin', logger: silentLogger() }),
      (err: unknown) => isPosthornError(err, 'PH_PLUGIN_SETUP') && err.details.plugin === 'test-declares-but-skips',
    );
  });
});
