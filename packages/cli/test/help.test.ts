import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { posthornBin, runPosthorn } from '@posthorn/testkit';
import { explain } from './helpers.ts';

const COMMANDS = [
  'start',
  'check-config',
  'plugins',
  'user add',
  'user del',
  'user list',
  'user passwd',
  'queue list',
  'queue show',
  'queue retry',
  'queue delete',
];

describe('posthorn --help and usage errors', () => {
  it('has a shebang that runs node without the experimental warning, and is executable', async () => {
    const bin = posthornBin();
    const source = await readFile(bin, 'utf8');
    assert.equal(source.split('\n')[0], '#!/usr/bin/env -S node --disable-warning=ExperimentalWarning');
    await access(bin, constants.X_OK);
  });

  it('lists every command in the main help', async () => {
    const result = await runPosthorn(['--help']);
    assert.equal(result.code, 0, explain(result));
    for (const command of COMMANDS) assert.match(result.stdout, new RegExp(`^  ${command}\\b`, 'm'), `${command} missing from help`);
  });

  for (const command of COMMANDS) {
    it(`${command} --help exits 0 and shows its usage`, async () => {
      const result = await runPosthorn([...command.split(' '), '--help']);
      assert.equal(result.code, 0, explain(result));
      assert.match(result.stdout, new RegExp(`^Usage: posthorn ${command}\\b`, 'm'));
      assert.equal(result.stderr, '');
    });
  }

  for (const group of ['user', 'queue']) {
    it(`${group} --help lists its subcommands`, async () => {
      const result = await runPosthorn([group, '--help']);
      assert.equal(result.code, 0, explain(result));
      for (const command of COMMANDS.filter((c) => c.startsWith(`${group} `))) assert.match(result.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    });
  }

  it('prints the version', async () => {
    const result = await runPosthorn(['--version']);
    assert.equal(result.code, 0, explain(result));
    assert.match(result.stdout, /^posthorn \d+\.\d+\.\d+ \(core \d+\.\d+\.\d+, node 24\./);
  });

  const usageErrors: [string[], RegExp][] = [
    [[], /no command given/],
    [['frobnicate'], /unknown command: frobnicate/],
    [['user'], /user needs a subcommand/],
    [['queue', 'flush'], /unknown command: queue flush/],
    [['user', 'add'], /user add needs ADDRESS/],
    [['queue', 'show'], /queue show needs ID/],
    [['queue', 'list', 'extra'], /unexpected argument: extra/],
    [['queue', 'list', '--name', 'x'], /queue list does not take --name/],
    [['start', '--bogus'], /unknown option --bogus/],
    [['start', '--config'], /--config needs a value/],
  ];
  for (const [args, message] of usageErrors) {
    it(`exits 2 with one line on stderr for: posthorn ${args.join(' ')}`, async () => {
      const result = await runPosthorn(args);
      assert.equal(result.code, 2, explain(result));
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
      assert.equal(result.stdout, '');
    });
  }

  it('exits 1 with the error code when no config is found', async () => {
    // The filesystem root has no posthorn config and no package.json to stop the search early.
    const result = await runPosthorn(['user', 'list'], { cwd: '/' });
    assert.equal(result.code, 1, explain(result));
    assert.match(result.stderr, /^posthorn: PH_CONFIG_NOT_FOUND: /);
  });
});

describe('plugin command arguments', () => {
  it('reads --name value, --name=value and a trailing bare flag', async () => {
    const { splitPluginArguments } = await import('../src/main.ts');
    assert.deepEqual(splitPluginArguments(['dkim', 'keygen', 'example.org', '--selector', 's1', '--bits=3072', '--force']), {
      positionals: ['dkim', 'keygen', 'example.org'],
      flags: { selector: 's1', bits: '3072', force: true },
    });
    assert.deepEqual(splitPluginArguments(['a', 'b', '--', '--not-a-flag']), { positionals: ['a', 'b', '--not-a-flag'], flags: {} });
  });
});
