import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPosthornError, RuleSetError, silentLogger } from '@posthorn/core';
import { captureLogs, tempDir } from '@posthorn/testkit';
// The class is internal; plugins reach it through ctx.ruleSet().
import { FileRuleSet } from '../src/rules/rule-set.ts';

interface Rules {
  readonly words: readonly string[];
  readonly pattern: RegExp;
}

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['pattern'],
  properties: {
    words: { type: 'array', items: { type: 'string' }, default: [] },
    pattern: { type: 'string' },
  },
};

function compile(data: unknown): Rules {
  const { words, pattern } = data as { words: string[]; pattern: string };
  try {
    return { words, pattern: new RegExp(pattern, 'g') };
  } catch (err) {
    throw new RuleSetError([{ pointer: '/pattern', message: (err as Error).message }]);
  }
}

describe('rule files', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.remove());

  it('loads YAML, fills defaults and compiles', async () => {
    const file = join(dir.path, 'a.yaml');
    await writeFile(file, 'pattern: "^spam"\n');
    const rules = await FileRuleSet.open({ file, schema, compile }, silentLogger());
    assert.deepEqual(rules.current.words, []);
    assert.ok(rules.current.pattern.test('spam here'));
  });

  it('refuses a bad first version, naming file, line and pointer', async () => {
    const file = join(dir.path, 'b.yaml');
    await writeFile(file, 'words:\n  - ok\n  - 7\npattern: x\n');
    await assert.rejects(FileRuleSet.open({ file, schema, compile }, silentLogger()), (err: unknown) => {
      assert.ok(isPosthornError(err, 'PH_CONFIG_INVALID'));
      assert.match((err as Error).message, /b\.yaml:3 \/words\/1: must be string/);
      return true;
    });
  });

  it('reports what compile finds at its line too, and JSON files the same way', async () => {
    const file = join(dir.path, 'c.json');
    await writeFile(file, '{\n  "words": [],\n  "pattern": "(unclosed"\n}\n');
    await assert.rejects(FileRuleSet.open({ file, schema, compile }, silentLogger()), /c\.json:3 \/pattern: Invalid regular expression/);
  });

  it('keeps the old version when a new one is invalid, and says where the problem is', async () => {
    const file = join(dir.path, 'd.yaml');
    await writeFile(file, 'pattern: first\n');
    const logs = captureLogs();
    const rules = await FileRuleSet.open({ file, schema, compile }, logs.logger);
    const first = rules.current;
    await writeFile(file, 'pattern: second\nunknown: 1\n');
    assert.equal(await rules.reload(), false);
    assert.equal(rules.current, first, 'the old version stays in force');
    const line = logs.lines.find((l) => l.level === 'error');
    assert.equal(line?.file, file);
    assert.equal(line?.line, 2);
    assert.equal(line?.pointer, '/unknown');
    await writeFile(file, 'pattern: third\n');
    assert.equal(await rules.reload(), true);
    assert.equal(rules.current.pattern.source, 'third');
  });

  it('swaps in a new version when the file is replaced, as editors do (watch)', async () => {
    const file = join(dir.path, 'e.yaml');
    await writeFile(file, 'pattern: old\n');
    const rules = await FileRuleSet.open({ file, schema, compile }, silentLogger());
    rules.watch(20);
    try {
      const changed = new Promise<Rules>((resolve) => rules.onChange(resolve));
      await writeFile(`${file}.tmp`, 'pattern: new\n');
      await rename(`${file}.tmp`, file);
      assert.equal((await changed).pattern.source, 'new');
      assert.equal(rules.current.pattern.source, 'new');
    } finally {
      rules.close();
    }
  });

  it('uses the default for a missing file when there is one, and refuses otherwise', async () => {
    const file = join(dir.path, 'missing.yaml');
    const rules = await FileRuleSet.open({ file, schema, compile, whenMissing: { pattern: 'none' } }, silentLogger());
    assert.equal(rules.current.pattern.source, 'none');
    await assert.rejects(FileRuleSet.open({ file, schema, compile }, silentLogger()), /missing\.yaml: cannot read/);
  });
});
