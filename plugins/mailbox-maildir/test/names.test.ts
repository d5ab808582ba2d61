import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accountPath, folderOf, nameOfFolder, normaliseMailboxName } from '../src/names.ts';

describe('mailbox names on disk', () => {
  it('puts INBOX in the root and other mailboxes in Maildir++ folders', () => {
    assert.equal(folderOf('INBOX'), '');
    assert.equal(folderOf('Sent'), '.Sent');
    assert.equal(folderOf('Work/Projects'), '.Work.Projects');
    assert.equal(folderOf('INBOX/Lists'), '.INBOX.Lists');
  });

  it('encodes dots, percent signs and non-ASCII so that no two names share a folder', () => {
    const names = ['a.b', 'a/b', 'a%2Eb', 'a%b', 'Entwürfe', 'Entwu\u0308rfe', 'x:y', 'back\\slash', 'sp ace', 'a..b'];
    const folders = names.map(folderOf);
    assert.equal(new Set(folders).size, names.length, JSON.stringify(folders));
    assert.equal(folderOf('a.b'), '.a%2Eb');
    assert.equal(folderOf('a%2Eb'), '.a%252Eb');
    for (const [i, folder] of folders.entries()) {
      assert.match(folder, /^\.[^/\x00]+$/);
      assert.equal(nameOfFolder(folder), names[i], `round trip of ${names[i]}`);
    }
  });

  it('reads only canonical folder names back', () => {
    assert.equal(nameOfFolder('.a%2eb'), undefined, 'lower-case escapes are not what we write');
    assert.equal(nameOfFolder('.a%2'), undefined);
    assert.equal(nameOfFolder('.a..b'), undefined, 'an empty level');
    assert.equal(nameOfFolder('.'), undefined);
    assert.equal(nameOfFolder('..'), undefined);
    assert.equal(nameOfFolder('.%FF'), undefined, 'not UTF-8');
  });

  it('refuses names that are empty, have empty levels, dot levels or control characters', () => {
    for (const bad of ['', '/', 'a//b', '/a', 'a/', '..', '../x', 'a/../b', '.', 'a/./b', 'x\0y', 'x\ny', 'tab\there', 'del\x7f', 'x'.repeat(2000)]) {
      assert.equal(normaliseMailboxName(bad).ok, false, JSON.stringify(bad));
    }
    assert.equal(normaliseMailboxName('a'.repeat(300)).ok, false, 'a folder name longer than 255 bytes');
  });

  it('treats INBOX case-insensitively, also as the top of a hierarchy, and nothing else', () => {
    assert.deepEqual(normaliseMailboxName('inbox'), { ok: true, name: 'INBOX' });
    assert.deepEqual(normaliseMailboxName('InBox/Sub'), { ok: true, name: 'INBOX/Sub' });
    assert.deepEqual(normaliseMailboxName('Sent'), { ok: true, name: 'Sent' });
    assert.deepEqual(normaliseMailboxName('sent'), { ok: true, name: 'sent' });
    assert.deepEqual(normaliseMailboxName('Archive/inbox'), { ok: true, name: 'Archive/inbox' });
  });

  it('keeps account directories inside the root', () => {
    assert.deepEqual(accountPath('alice@Example.ORG'), { key: 'alice@example.org', domain: 'example.org', local: 'alice' });
    assert.equal(accountPath('../../etc@localhost').local, '%2E.%2F..%2Fetc');
    assert.equal(accountPath('..@localhost').local, '%2E.');
    assert.equal(accountPath('a@..').domain, '%2E.');
    assert.equal(accountPath('a/b@localhost').local, 'a%2Fb');
    assert.throws(() => accountPath('no-domain'), { code: 'NONEXISTENT' });
    assert.throws(() => accountPath('a\0b@localhost'), { code: 'NONEXISTENT' });
  });
});
