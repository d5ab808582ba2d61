/** Mechanisms offered: those that hand the server the password itself (the account contract checks passwords only). */
export const SASL_MECHANISMS = ['PLAIN'] as const;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A PLAIN response (RFC 4616): base64 of `authzid NUL authcid NUL passwd`. Returns undefined
 * for anything malformed: not base64, not three parts, an empty login, or an authorization
 * identity other than the login itself (acting as another user is not offered).
 */
export function decodePlain(response: string): { readonly login: string; readonly password: string } | undefined {
  if (!response || !BASE64.test(response)) return undefined;
  const parts = Buffer.from(response, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return undefined;
  const [authzid, login, password] = parts as [string, string, string];
  if (!login || (authzid && authzid !== login)) return undefined;
  return { login, password };
}
