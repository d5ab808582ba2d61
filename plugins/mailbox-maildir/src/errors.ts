/** The error codes of the MailStore contract; IMAP turns them into response codes (RFC 5530). */
export type MailStoreErrorCode = 'NONEXISTENT' | 'ALREADYEXISTS' | 'CANNOT' | 'OVERQUOTA' | 'INUSE';

export class MailStoreError extends Error {
  readonly code: MailStoreErrorCode;
  /** Facts for the caller's log or reply (quota and usage for OVERQUOTA). */
  readonly details: Readonly<Record<string, unknown>>;
  constructor(code: MailStoreErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'MailStoreError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

export function nonexistent(user: string, mailbox: string): MailStoreError {
  return new MailStoreError('NONEXISTENT', `no mailbox ${JSON.stringify(mailbox)} for ${user}`);
}
