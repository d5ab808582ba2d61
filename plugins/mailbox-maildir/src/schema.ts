/**
 * The per-account index (SQLite, in the account's Maildir root). The files hold the bytes; the
 * index is the authority for everything IMAP and POP3 ask about them.
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS mailboxes (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,          -- full name, '/' delimited, UTF-8
  folder        TEXT NOT NULL UNIQUE,          -- directory below the account root; '' for INBOX
  uidvalidity   INTEGER NOT NULL,
  uidnext       INTEGER NOT NULL CHECK (uidnext >= 1),
  highestmodseq INTEGER NOT NULL CHECK (highestmodseq >= 1),
  subscribed    INTEGER NOT NULL DEFAULT 0,
  special_use   TEXT
);

CREATE TABLE IF NOT EXISTS messages (
  mailbox      INTEGER NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
  uid          INTEGER NOT NULL,
  id           TEXT NOT NULL UNIQUE,           -- stable id: POP3 UIDL
  file         TEXT NOT NULL,                  -- 'new/<name>' or 'cur/<name>' inside the folder
  flags        TEXT NOT NULL DEFAULT '',       -- canonical, space separated
  seen         INTEGER NOT NULL DEFAULT 0,     -- \\Seen, kept apart for the unseen count
  deleted      INTEGER NOT NULL DEFAULT 0,     -- \\Deleted, for EXPUNGE without a UID set
  modseq       INTEGER NOT NULL,
  internaldate INTEGER NOT NULL,               -- milliseconds since the epoch
  size         INTEGER NOT NULL,
  PRIMARY KEY (mailbox, uid),
  UNIQUE (mailbox, file)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_by_modseq ON messages (mailbox, modseq);

CREATE TABLE IF NOT EXISTS expunged (
  mailbox INTEGER NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
  uid     INTEGER NOT NULL,
  modseq  INTEGER NOT NULL,
  PRIMARY KEY (mailbox, uid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS expunged_by_modseq ON expunged (mailbox, modseq);

-- Dedupe keys outlive the message they stored: a retried delivery must not come back after
-- the user has already deleted the first copy.
CREATE TABLE IF NOT EXISTS dedupe (
  mailbox INTEGER NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
  key     TEXT NOT NULL,                       -- hash of the key, as in the file name
  uid     INTEGER NOT NULL,
  id      TEXT NOT NULL,
  at      INTEGER NOT NULL,
  PRIMARY KEY (mailbox, key)
) WITHOUT ROWID;

-- Journals of multi-step disk changes, written in the same transaction as the index change and
-- finished (or redone) at the next open after a crash.
CREATE TABLE IF NOT EXISTS pending_removals (
  path TEXT PRIMARY KEY                        -- file or folder below the account root
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending_renames (
  mailbox    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  folder     TEXT NOT NULL,
  old_folder TEXT NOT NULL
);
`;
