import { decodePlain, type LoginRefusal } from '@posthorn/core';
import { argText } from '../protocol/values.ts';
import type { Session } from '../session.ts';
import { bad, type CommandSpec, type Completion, no, NOT_AUTHENTICATED, ok } from './types.ts';

const REFUSALS: Record<LoginRefusal, Completion> = {
  failed: no('Authentication failed', 'AUTHENTICATIONFAILED'),
  'locked-out': no('Too many failed logins, try again later', 'UNAVAILABLE'),
  'login-delay': no('Logged in too recently, try again later', 'UNAVAILABLE'),
};

/** Checks the password and moves the session to the authenticated state. */
async function authenticate(session: Session, login: string, password: string, method: string): Promise<Completion> {
  const verdict = await session.runtime.gate.check(session.connection.remoteAddress, login, password, method, session.log);
  if (!verdict.ok) return REFUSALS[verdict.refusal];
  const refused = await session.login(verdict.account);
  if (refused) return refused;
  session.runtime.gate.loggedIn(verdict.account.id);
  return ok('Logged in', `CAPABILITY ${session.capabilities().join(' ')}`);
}

export const login: CommandSpec = {
  states: NOT_AUTHENTICATED,
  async run(session, command) {
    const [userArg, passwordArg, extra] = command.args;
    const user = argText(userArg);
    const password = argText(passwordArg);
    if (user === undefined || password === undefined || extra) return bad('LOGIN takes a user name and a password');
    if (!session.passwordAllowed) return no('Use STARTTLS first; passwords are not taken in clear', 'PRIVACYREQUIRED');
    return authenticate(session, user, password, 'LOGIN');
  },
};

export const authenticateCommand: CommandSpec = {
  states: NOT_AUTHENTICATED,
  async run(session, command) {
    const [mechanismArg, initialArg, extra] = command.args;
    if (mechanismArg?.kind !== 'atom' || extra) return bad('AUTHENTICATE takes a mechanism and an optional initial response');
    if (mechanismArg.value.toUpperCase() !== 'PLAIN') return no('Unsupported mechanism; PLAIN is offered', 'CANNOT');
    if (!session.passwordAllowed) return no('Use STARTTLS first; passwords are not taken in clear', 'PRIVACYREQUIRED');
    let response: string | undefined;
    if (initialArg) {
      // SASL-IR (RFC 4959): `=` stands for an empty initial response.
      if (initialArg.kind !== 'atom') return bad('The initial response must be base64');
      response = initialArg.value === '=' ? '' : initialArg.value;
    } else {
      session.connection.writeLine('+ ');
      const line = await session.readLine();
      if (line === undefined) return no('Connection closed');
      response = line.toString('latin1');
      if (response === '*') return bad('Authentication cancelled');
    }
    const credentials = decodePlain(response);
    if (!credentials) return bad('Invalid PLAIN response');
    return authenticate(session, credentials.login, credentials.password, 'PLAIN');
  },
};

export const starttls: CommandSpec = {
  states: NOT_AUTHENTICATED,
  async run(session, command) {
    if (command.args.length) return bad('STARTTLS takes no arguments');
    if (session.connection.tls || session.runtime.listener.tls !== 'starttls') return bad('TLS is already active');
    // The OK must go out in clear before the handshake; the session writes nothing after it
    // until the client speaks again, so the completion is written here and not by the loop.
    session.connection.writeLine(`${command.tag} OK Begin TLS negotiation now`);
    session.connection.startTls(session.runtime.secureContext);
    return { status: 'OK', text: '', silent: true };
  },
};
