import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withPassword, withUserAdded, withUserRemoved } from '../src/edits.ts';
import { loadAccounts } from '../src/load.ts';

const settings = { extraDomains: ['localhost'], plusSeparator: '+' };
const HASH = '$scrypt$ln=1,r=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA';

function ids(text: string): string[] {
  const result = loadAccounts(text, settings);
  assert.ok(result.ok, `the edited file must stay valid:\n${text}`);
  return result.snapshot.accounts.map((a) => a.id);
}

describe('accounts file edits', () => {
  const file = [
    '# header comment',
    'users:',
    '  a@localhost:',
    '    name: A   # block style',
    '    password: "$old"',
    '  # about b',
    '  b@localhost: { name: "B" }',
    'aliases:',
    '  x@localhost: a@localhost',
    '',
  ].join('\n');

  it('appends a user after the last one, touching nothing else', () => {
    const next = withUserAdded(file, 'new@localhost', '$scrypt$ln=1,r=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', 'New "Quoted" One');
    assert.equal(next, file.replace('  b@localhost: { name: "B" }\n', '  b@localhost: { name: "B" }\n  new@localhost: { password: "$scrypt$ln=1,r=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", name: "New \\"Quoted\\" One" }\n'));
  });

  it('removes a block-style user without taking the comment about the next one', () => {
    const next = withUserRemoved(file, 'A@LOCALHOST');
    assert.equal(next, file.replace('  a@localhost:\n    name: A   # block style\n    password: "$old"\n', ''));
    assert.equal(withUserRemoved(file, 'nobody@localhost'), null);
  });

  it('replaces only the password scalar', () => {
    assert.equal(withPassword(file, 'a@localhost', '$new'), file.replace('"$old"', '"$new"'));
    assert.equal(withPassword(file, 'nobody@localhost', '$new'), null);
  });

  it('adds to an empty users section and to a file without one', () => {
    assert.equal(withUserAdded('domains: [localhost]\nusers:\naliases: {}\n', 'n@localhost', 'H'), 'domains: [localhost]\nusers:\n  n@localhost: { password: "H" }\naliases: {}\n');
    assert.equal(withUserAdded('users: {}\n', 'n@localhost', 'H'), 'users:\n  n@localhost: { password: "H" }\n');
    assert.deepEqual(ids(withUserAdded('# only a comment\ndomains: [localhost]\n', 'n@localhost', HASH)), ['n@localhost']);
  });

  it('falls back to the Document API for a flow-style users map, keeping the data and comments', () => {
    const next = withUserAdded('# keep me\nusers: { a@localhost: {} }\n', 'n@localhost', HASH);
    assert.match(next, /^# keep me\n/);
    assert.deepEqual(ids(next), ['a@localhost', 'n@localhost']);
    assert.deepEqual(ids(withUserRemoved(next, 'a@localhost')!), ['n@localhost']);
  });
});
