/** Why an admin edit of the accounts file was refused; `code` is stable for callers. */
export type AccountsErrorCode = 'INVALID_ADDRESS' | 'NOT_LOCAL' | 'ALREADY_EXISTS' | 'INVALID_FILE' | 'EMPTY_PASSWORD';

export class AccountsError extends Error {
  readonly code: AccountsErrorCode;
  constructor(code: AccountsErrorCode, message: string) {
    super(message);
    this.name = 'AccountsError';
    this.code = code;
  }
}
