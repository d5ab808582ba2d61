import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MailboxInfo, SpecialUse } from '@posthorn/contracts';
import { atom, type Arg } from '../src/protocol/values.ts';
import {
  delimiterEntry,
  formatListEntry,
  listResponses,
  lsubResponses,
  parseListCommand,
  parseLsubCommand,
  type ListEntry,
  type ListRequest,
} from '../src/mailbox/list.ts';

function box(name: string, options: { subscribed?: boolean; specialUse?: SpecialUse } = {}): MailboxInfo {
  return {
    name,
    subscribed: options.subscribed ?? false,
    ...(options.specialUse ? { specialUse: options.specialUse } : {}),
    uidValidity: 1,
    uidNext: 1,
    highestModseq: 1,
    messages: 0,
    unseen: 0,
    size: 0,
  };
}

const a = (value: string): Arg => ({ kind: 'atom', value });
const s = (value: string): Arg => ({ kind: 'string', value: Buffer.from(value), literal: false });
const l = (...items: Arg[]): Arg => ({ kind: 'list', items });

function request(args: Arg[], utf8 = false): ListRequest {
  const parsed = parseListCommand(args, utf8);
  if ('error' in parsed) assert.fail(parsed.error);
  return parsed;
}

/** Entries as `name: attributes [childinfo]` lines, easy to compare with the RFC's examples. */
function lines(entries: readonly ListEntry[]): string[] {
  return entries.map((e) => `${e.name}: ${e.attributes.join(' ')}${e.childInfo ? ` CHILDINFO(${e.childInfo.join(' ')})` : ''}`.trimEnd());
}

function list(boxes: MailboxInfo[], args: Arg[], subscribedNames: string[] = []): string[] {
  return lines(listResponses(boxes, request(args), { subscribedNames }));
}

// The hierarchy of RFC 5258 section 5; "Fruit/Peach" is subscribed but was deleted.
const produce = [
  box('INBOX', { subscribed: true }),
  box('Fruit'),
  box('Fruit/Apple'),
  box('Fruit/Banana', { subscribed: true }),
  box('Tofu'),
  box('Vegetable', { subscribed: true }),
  box('Vegetable/Broccoli', { subscribed: true }),
  box('Vegetable/Corn'),
];
const gone = ['Fruit/Peach'];

test('RFC 5258 example 1: the whole hierarchy', () => {
  assert.deepEqual(list(produce, [s(''), a('*')], gone), [
    'INBOX: \\HasNoChildren',
    'Fruit: \\HasChildren',
    'Fruit/Apple: \\HasNoChildren',
    'Fruit/Banana: \\HasNoChildren',
    'Tofu: \\HasNoChildren',
    'Vegetable: \\HasChildren',
    'Vegetable/Broccoli: \\HasNoChildren',
    'Vegetable/Corn: \\HasNoChildren',
  ]);
});

test('RFC 5258 examples 2 and 5: SUBSCRIBED (with REMOTE) lists subscriptions, even of deleted mailboxes', () => {
  const expected = [
    'INBOX: \\HasNoChildren \\Subscribed',
    'Fruit/Banana: \\HasNoChildren \\Subscribed',
    'Fruit/Peach: \\NonExistent \\HasNoChildren \\Subscribed',
    'Vegetable: \\HasChildren \\Subscribed',
    'Vegetable/Broccoli: \\HasNoChildren \\Subscribed',
  ];
  assert.deepEqual(list(produce, [l(a('SUBSCRIBED')), s(''), s('*')], gone), expected);
  assert.deepEqual(list(produce, [l(a('REMOTE'), a('SUBSCRIBED')), s(''), s('*')], gone), expected);
});

test('RFC 5258 examples 3 and 4: RETURN (CHILDREN) at the top level', () => {
  const expected = ['INBOX: \\HasNoChildren', 'Fruit: \\HasChildren', 'Tofu: \\HasNoChildren', 'Vegetable: \\HasChildren'];
  assert.deepEqual(list(produce, [l(), s(''), s('%'), a('RETURN'), l(a('CHILDREN'))], gone), expected);
  assert.deepEqual(list(produce, [l(a('REMOTE')), s(''), s('%'), a('RETURN'), l(a('CHILDREN'))], gone), expected);
});

test('RFC 5258 example 6: RETURN (SUBSCRIBED) marks subscriptions without filtering', () => {
  assert.deepEqual(list(produce, [l(a('REMOTE')), s(''), s('*'), a('RETURN'), l(a('SUBSCRIBED'))], gone), [
    'INBOX: \\HasNoChildren \\Subscribed',
    'Fruit: \\HasChildren',
    'Fruit/Apple: \\HasNoChildren',
    'Fruit/Banana: \\HasNoChildren \\Subscribed',
    'Tofu: \\HasNoChildren',
    'Vegetable: \\HasChildren \\Subscribed',
    'Vegetable/Broccoli: \\HasNoChildren \\Subscribed',
    'Vegetable/Corn: \\HasNoChildren',
  ]);
});

test('RFC 5258 example 7: several patterns', () => {
  const boxes = ['INBOX', 'Drafts', 'Sent', 'Sent/March2004', 'Sent/December2003', 'Sent/August2004', 'Unlisted', 'Unlisted/Foo'].map((n) => box(n));
  assert.deepEqual(list(boxes, [s(''), l(s('INBOX'), s('Drafts'), s('Sent/%'))]), [
    'INBOX: \\HasNoChildren',
    'Drafts: \\HasNoChildren',
    'Sent/August2004: \\HasNoChildren',
    'Sent/December2003: \\HasNoChildren',
    'Sent/March2004: \\HasNoChildren',
  ]);
  // A name matched by two patterns is listed once.
  assert.deepEqual(list(boxes, [s(''), l(s('Sent'), s('S*'), s('Sent'))]), [
    'Sent: \\HasChildren',
    'Sent/August2004: \\HasNoChildren',
    'Sent/December2003: \\HasNoChildren',
    'Sent/March2004: \\HasNoChildren',
  ]);
});

test('RFC 5258 example 8: \\HasChildren and CHILDINFO', () => {
  const tree = (subscribed: string[], names = ['INBOX', 'Foo', 'Foo/Bar', 'Foo/Baz', 'Moo']) =>
    names.map((n) => box(n, { subscribed: subscribed.includes(n) }));
  const recursive = [l(a('SUBSCRIBED'), a('RECURSIVEMATCH')), s(''), s('%')];

  assert.deepEqual(list(tree([]), [s(''), s('%'), a('RETURN'), l(a('CHILDREN'))]), [
    'INBOX: \\HasNoChildren',
    'Foo: \\HasChildren',
    'Moo: \\HasNoChildren',
  ]);

  // A) Only Foo/Baz is subscribed.
  assert.deepEqual(list(tree(['Foo/Baz']), [l(a('SUBSCRIBED')), s(''), s('*')]), ['Foo/Baz: \\HasNoChildren \\Subscribed']);
  assert.deepEqual(list(tree(['Foo/Baz']), [l(a('SUBSCRIBED')), s(''), s('%')]), []);
  assert.deepEqual(list(tree(['Foo/Baz']), recursive), ['Foo: \\HasChildren CHILDINFO(SUBSCRIBED)']);
  // A1) Foo is subscribed too.
  assert.deepEqual(list(tree(['Foo', 'Foo/Baz']), recursive), ['Foo: \\HasChildren \\Subscribed CHILDINFO(SUBSCRIBED)']);
  // A2) Foo does not exist.
  assert.deepEqual(list(tree(['Foo/Baz'], ['INBOX', 'Foo/Bar', 'Foo/Baz', 'Moo']), recursive), [
    'Foo: \\NonExistent \\HasChildren CHILDINFO(SUBSCRIBED)',
  ]);
  // B) Nothing is subscribed.
  assert.deepEqual(list(tree([]), recursive), []);
  // C) Only Foo and Moo are subscribed.
  assert.deepEqual(list(tree(['Foo', 'Moo']), [...recursive, a('RETURN'), l(a('CHILDREN'))]), [
    'Foo: \\HasChildren \\Subscribed',
    'Moo: \\HasNoChildren \\Subscribed',
  ]);
});

test('RECURSIVEMATCH over the RFC 5258 hierarchy', () => {
  assert.deepEqual(list(produce, [l(a('SUBSCRIBED'), a('RECURSIVEMATCH')), s(''), s('%')], gone), [
    'INBOX: \\HasNoChildren \\Subscribed',
    'Fruit: \\HasChildren CHILDINFO(SUBSCRIBED)',
    'Vegetable: \\HasChildren \\Subscribed CHILDINFO(SUBSCRIBED)',
  ]);
  // With `*` every subscribed name is matched itself: no parent has to stand in for it.
  assert.deepEqual(list(produce, [l(a('SUBSCRIBED'), a('RECURSIVEMATCH')), s(''), s('*')], gone), [
    'INBOX: \\HasNoChildren \\Subscribed',
    'Fruit/Banana: \\HasNoChildren \\Subscribed',
    'Fruit/Peach: \\NonExistent \\HasNoChildren \\Subscribed',
    'Vegetable: \\HasChildren \\Subscribed CHILDINFO(SUBSCRIBED)',
    'Vegetable/Broccoli: \\HasNoChildren \\Subscribed',
  ]);
});

test('RFC 5258 example 9: missing hierarchy levels', () => {
  const boxes = [box('INBOX'), box('music/rock')];
  assert.deepEqual(list(boxes, [l(), s(''), s('%')]), ['INBOX: \\HasNoChildren', 'music: \\NonExistent \\HasChildren']);
  // The base syntax says \Noselect (RFC 3501), which every client knows.
  assert.deepEqual(list(boxes, [s(''), s('%')]), ['INBOX: \\HasNoChildren', 'music: \\Noselect \\HasChildren']);
  assert.deepEqual(list(boxes, [s(''), s('*')]), ['INBOX: \\HasNoChildren', 'music/rock: \\HasNoChildren']);
  assert.deepEqual(list(boxes, [s(''), s('music/%')]), ['music/rock: \\HasNoChildren']);
  assert.deepEqual(list(boxes, [s(''), s('m%')]), ['music: \\Noselect \\HasChildren']);
  // A deeper gap: only the level `%/%` stops at is shown.
  assert.deepEqual(list([box('a/b/c')], [s(''), s('%/%')]), ['a/b: \\Noselect \\HasChildren']);
  assert.deepEqual(list([box('a/b/c')], [s(''), s('%')]), ['a: \\Noselect \\HasChildren']);
  // \HasChildren counts mailboxes below a missing level too.
  assert.deepEqual(list([box('a'), box('a/b/c')], [s(''), s('%')]), ['a: \\HasChildren']);
  // A deleted subscription alone does not make a level appear in a plain LIST.
  assert.deepEqual(list([box('INBOX')], [s(''), s('%')], ['old/sub']), ['INBOX: \\HasNoChildren']);
});

test('special-use attributes, and the SPECIAL-USE selection option', () => {
  const boxes = [
    box('INBOX'),
    box('Archive', { specialUse: '\\Archive' }),
    box('Drafts', { specialUse: '\\Drafts' }),
    box('Junk', { specialUse: '\\Junk' }),
    box('Projects'),
    box('Projects/Sent', { specialUse: '\\Sent' }),
    box('Sent', { specialUse: '\\Sent' }),
    box('Trash', { specialUse: '\\Trash' }),
  ];
  assert.deepEqual(list(boxes, [s(''), s('%')]), [
    'INBOX: \\HasNoChildren',
    'Archive: \\HasNoChildren \\Archive',
    'Drafts: \\HasNoChildren \\Drafts',
    'Junk: \\HasNoChildren \\Junk',
    'Projects: \\HasChildren',
    'Sent: \\HasNoChildren \\Sent',
    'Trash: \\HasNoChildren \\Trash',
  ]);
  assert.deepEqual(list(boxes, [l(a('SPECIAL-USE')), s(''), s('*')]), [
    'Archive: \\HasNoChildren \\Archive',
    'Drafts: \\HasNoChildren \\Drafts',
    'Junk: \\HasNoChildren \\Junk',
    'Projects/Sent: \\HasNoChildren \\Sent',
    'Sent: \\HasNoChildren \\Sent',
    'Trash: \\HasNoChildren \\Trash',
  ]);
  assert.deepEqual(list(boxes, [l(a('SPECIAL-USE'), a('RECURSIVEMATCH')), s(''), s('P%')]), [
    'Projects: \\HasChildren CHILDINFO(SPECIAL-USE)',
  ]);
  assert.deepEqual(list(boxes, [s(''), s('%'), a('RETURN'), l(a('SPECIAL-USE'))]).length, 7);
});

test('LIST with an empty pattern answers with the delimiter and root', () => {
  assert.deepEqual(listResponses(produce, request([s(''), s('')])), [delimiterEntry()]);
  assert.deepEqual(listResponses(produce, request([s('Fruit/'), s('')])), [delimiterEntry()]);
  assert.deepEqual(formatListEntry(delimiterEntry(), false, 'LIST'), [[atom('\\Noselect')], '/', '']);
  assert.deepEqual(lines(listResponses(produce, request([s(''), l(s(''), s('Tofu'))]))), [': \\Noselect', 'Tofu: \\HasNoChildren']);
});

test('references, INBOX in any case and selectability', () => {
  const boxes = [box('INBOX'), box('INBOX/Sub'), box('Archive'), box('Archive/2020'), box('Archive/2021')];
  assert.deepEqual(list(boxes, [s('Archive/'), s('%')]), ['Archive/2020: \\HasNoChildren', 'Archive/2021: \\HasNoChildren']);
  assert.deepEqual(list(boxes, [s(''), s('inbox')]), ['INBOX: \\HasChildren']);
  assert.deepEqual(list(boxes, [s(''), s('Inbox/%')]), ['INBOX/Sub: \\HasNoChildren']);
  const entries = listResponses([box('a/b')], request([s(''), s('*')]));
  assert.deepEqual(entries.map((e) => e.selectable), [true]);
  const gap = listResponses([box('a/b')], request([s(''), s('%')]));
  assert.deepEqual(gap.map((e) => [e.name, e.selectable]), [['a', false]]);
});

test('entries are formatted for the writer in the client encoding', () => {
  const [entry] = listResponses([box('\u53f0\u5317', { specialUse: '\\Sent' })], request([s(''), s('*')]));
  assert.deepEqual(formatListEntry(entry!, false, 'LIST'), [[atom('\\HasNoChildren'), atom('\\Sent')], '/', '&U,BTFw-']);
  assert.deepEqual(formatListEntry(entry!, true, 'LIST'), [[atom('\\HasNoChildren'), atom('\\Sent')], '/', '\u53f0\u5317']);
  const withChildInfo: ListEntry = { name: 'Foo', attributes: [], childInfo: ['SUBSCRIBED'], selectable: true };
  assert.deepEqual(formatListEntry(withChildInfo, false, 'LIST'), [[], '/', 'Foo', ['CHILDINFO', ['SUBSCRIBED']]]);
  assert.deepEqual(formatListEntry(withChildInfo, false, 'LSUB'), [[], '/', 'Foo']);
});

test('parsing the base and extended LIST syntax', () => {
  assert.deepEqual(request([s(''), a('*')]), {
    reference: '',
    patterns: ['*'],
    selection: { subscribed: false, remote: false, recursiveMatch: false, specialUse: false },
    returns: { subscribed: false, children: false, specialUse: false },
    extended: false,
  });
  assert.equal(request([l(), s(''), a('%')]).extended, true);
  assert.equal(request([s(''), l(s('INBOX'))]).extended, true);
  assert.equal(request([s(''), a('%'), a('RETURN'), l()]).extended, true);

  const full = request([
    l(a('subscribed'), a('RecursiveMatch'), a('REMOTE')),
    s('ref/'),
    l(s('INBOX'), a('Sent/%')),
    a('return'),
    l(a('CHILDREN'), a('special-use'), a('STATUS'), l(a('MESSAGES'), a('uidnext'))),
  ]);
  assert.deepEqual(full, {
    reference: 'ref/',
    patterns: ['INBOX', 'Sent/%'],
    selection: { subscribed: true, remote: true, recursiveMatch: true, specialUse: false },
    returns: { subscribed: true, children: true, specialUse: true, status: ['MESSAGES', 'UIDNEXT'] },
    extended: true,
  });
  // SPECIAL-USE selection implies the return option.
  assert.equal(request([l(a('SPECIAL-USE')), s(''), s('*')]).returns.specialUse, true);
});

test('LIST names are decoded from modified UTF-7 unless UTF-8 was enabled', () => {
  assert.deepEqual(request([s('~peter/mail/'), s('&U,BTFw-/%')]).patterns, ['\u53f0\u5317/%']);
  assert.equal(request([s('&U,BTFw-/'), s('%')]).reference, '\u53f0\u5317/');
  assert.deepEqual(request([s(''), s('&U,BTFw-/%')], true).patterns, ['&U,BTFw-/%']);
  assert.deepEqual(request([s(''), s('\u53f0\u5317/%')], true).patterns, ['\u53f0\u5317/%']);
});

test('malformed LIST commands are refused', () => {
  const refused: [Arg[], RegExp][] = [
    [[], /reference/],
    [[s('')], /pattern/],
    [[l(), s('')], /pattern/],
    [[l(s('x')), s(''), s('*')], /options must be atoms/],
    [[l(), l(), s('*')], /reference/],
    [[s(''), l()], /empty/],
    [[s(''), l(l())], /strings/],
    [[l(a('BOGUS')), s(''), s('*')], /Unknown LIST selection option/],
    [[l(a('RECURSIVEMATCH')), s(''), s('*')], /RECURSIVEMATCH/],
    [[l(a('RECURSIVEMATCH'), a('REMOTE')), s(''), s('*')], /RECURSIVEMATCH/],
    [[s(''), s('*'), a('RETURN')], /RETURN/],
    [[s(''), s('*'), a('RETURN'), a('CHILDREN')], /RETURN/],
    [[s(''), s('*'), a('RETURN'), l(a('BOGUS'))], /Unknown LIST return option/],
    [[s(''), s('*'), a('RETURN'), l(a('STATUS'))], /STATUS/],
    [[s(''), s('*'), a('RETURN'), l(a('STATUS'), l(a('BOGUS')))], /Unknown STATUS item/],
    [[s(''), s('*'), a('RETURN'), l(a('STATUS'), l())], /empty/],
    [[s(''), s('*'), a('EXTRA')], /Unexpected/],
    [[s(''), s('*'), a('RETURN'), l(), a('EXTRA')], /Unexpected/],
    [[s('&U,BTFw'), s('*')], /reference is not valid modified UTF-7/],
    [[s(''), s('caf\u00e9')], /pattern is not valid modified UTF-7/],
    [[s(''), { kind: 'string', value: Buffer.from([0xff]), literal: true }], /pattern is not valid modified UTF-7/],
  ];
  for (const [args, reason] of refused) {
    const parsed = parseListCommand(args);
    assert.ok('error' in parsed, JSON.stringify(args));
    assert.match(parsed.error, reason);
  }
  const badUtf8 = parseListCommand([s(''), { kind: 'string', value: Buffer.from([0xff]), literal: true }], true);
  assert.ok('error' in badUtf8 && /UTF-8/.test(badUtf8.error));
});

test('LSUB: subscribed names, with \\Noselect for a level `%` stops at', () => {
  const boxes = [box('INBOX', { subscribed: true }), box('foo'), box('foo/bar', { subscribed: true }), box('news'), box('news/a/b', { subscribed: true })];
  const lsub = (reference: string, pattern: string, subscribedNames: string[] = []) => {
    const parsed = parseLsubCommand([s(reference), s(pattern)]);
    if ('error' in parsed) assert.fail(parsed.error);
    return lines(lsubResponses(boxes, parsed, { subscribedNames }));
  };
  assert.deepEqual(lsub('', '*'), ['INBOX:', 'foo/bar:', 'news/a/b:']);
  assert.deepEqual(lsub('', '%'), ['INBOX:', 'foo: \\Noselect', 'news: \\Noselect']);
  assert.deepEqual(lsub('', 'foo/%'), ['foo/bar:']);
  assert.deepEqual(lsub('news/', '%'), ['news/a: \\Noselect']);
  assert.deepEqual(lsub('', 'tofu'), []);
  // A subscription outlives its mailbox.
  assert.deepEqual(lsub('', '*', ['gone']), ['INBOX:', 'foo/bar:', 'gone:', 'news/a/b:']);
  assert.deepEqual(lsub('', ''), [': \\Noselect']);
  const [entry] = lsubResponses(boxes, { reference: '', patterns: ['%'] });
  assert.deepEqual(formatListEntry(entry!, false, 'LSUB'), [[], '/', 'INBOX']);

  for (const args of [[], [s('')], [s(''), s('*'), s('x')], [l(), s('*')], [s(''), l(s('*'))], [s(''), s('&Jjo')]]) {
    assert.ok('error' in parseLsubCommand(args), JSON.stringify(args));
  }
});
