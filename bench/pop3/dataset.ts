import { type AccountGroup, DOMAIN, message } from '../lib/mail-data.ts';

export { type AccountGroup, argon2idPhc, DOMAIN, HASHES, type HashKind, message, PASSWORD } from '../lib/mail-data.ts';

/** The accounts of a run: RETR throughput at 2 KB and 100 KB, logins with a cheap and a real hash. */
export function dataset(options: { sessions: number; quick: boolean }): AccountGroup[] {
  const users = (prefix: string) => Array.from({ length: options.sessions }, (_, i) => `${prefix}${i + 1}@${DOMAIN}`);
  const set = (bytes: number, count: number) => Array.from({ length: count }, (_, i) => message(bytes, i + 1));
  const small = set(2048, options.quick ? 50 : 200);
  return [
    { name: 'retr-2k', users: users('small'), hash: 'cheap', messages: small, bytes: 2048 },
    { name: 'retr-100k', users: users('large'), hash: 'cheap', messages: set(100 * 1024, options.quick ? 10 : 30), bytes: 100 * 1024 },
    { name: 'login', users: users('login'), hash: 'cheap', messages: small.slice(0, 20), bytes: 2048 },
    { name: 'login-owasp', users: users('owasp'), hash: 'owasp', messages: small.slice(0, 20), bytes: 2048 },
  ];
}
