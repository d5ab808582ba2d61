import { SmtpReply } from '@posthorn/core';

/** The SMTP command a remote reply answered; it decides how a reply without an enhanced code is read. */
export type Stage = 'connect' | 'MAIL' | 'RCPT' | 'DATA';

/** A remote server's reply as it came: basic code, enhanced code when it gave one, text lines. */
export interface RemoteReply {
  readonly code: number;
  readonly enhanced: string | undefined;
  readonly lines: readonly string[];
}

const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)/;
/** SmtpReply refuses control characters; a remote's text is cleaned rather than trusted. */
const CONTROL = /[\x00-\x1f\x7f]/g;
const MAX_LINE = 400;

/** Parses `550-5.1.1 first\n550 5.1.1 second` (nodemailer joins reply lines with LF). */
export function parseRemoteReply(raw: string): RemoteReply | undefined {
  const rows = raw.split(/\r?\n/).filter((row) => row.length > 0);
  const code = Number(/^(\d{3})/.exec(rows[0] ?? '')?.[1]);
  if (!Number.isInteger(code) || code < 200 || code > 599) return undefined;
  const texts = rows.map((row) => row.replace(/^\d{3}[ -]?/, ''));
  const match = ENHANCED.exec(texts[0] ?? '');
  // An enhanced code whose class contradicts the basic code is not trusted (RFC 3463 2).
  const enhanced = match && Number(match[1]) === Math.floor(code / 100) ? match[0] : undefined;
  const lines = texts.map((text) => clean(enhanced && text.startsWith(enhanced) ? text.slice(enhanced.length).trimStart() : text));
  return { code, enhanced, lines };
}

function clean(text: string): string {
  const line = text.replace(CONTROL, ' ');
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}...` : line;
}

/**
 * An enhanced code for a reply that came without one. Only what the basic code and the
 * command say for certain: a 550 to RCPT may be "no such user" or a policy refusal, so it
 * gets 5.0.0, never 5.1.1.
 */
export function deriveEnhanced(code: number, stage: Stage): string {
  const cls = Math.floor(code / 100);
  if (code === 421) return '4.3.2';
  if (code === 552 && stage === 'DATA') return '5.3.4';
  if (code === 452 && stage === 'RCPT') return '4.5.3';
  return `${cls}.0.0`;
}

/** Who answered, as reply texts and logs name it: `mx1.example.test [192.0.2.1]`. */
export function peerName(host: string, ip: string): string {
  return host === ip ? `[${ip}]` : `${host} [${ip}]`;
}

/**
 * The remote's reply as the verdict for a recipient: its code and enhanced code as they are
 * (derived when absent), the text saying which host answered. RFC 5321 4.5.3.1.10: a 552 to
 * RCPT means "too many recipients" and is treated as the temporary 452.
 */
export function remoteVerdictReply(remote: RemoteReply, stage: Stage, peer: string): SmtpReply {
  let code = remote.code;
  let enhanced = remote.enhanced ?? deriveEnhanced(code, stage);
  if (stage === 'RCPT' && code === 552) {
    code = 452;
    enhanced = `4${enhanced.slice(1)}`;
  }
  const said = `${peer} said: ${remote.code}${remote.enhanced ? ` ${remote.enhanced}` : ''}`;
  const [first = '', ...rest] = remote.lines;
  return new SmtpReply(code, enhanced, [`${said} ${first}`.trimEnd(), ...rest]);
}

/** Replies outbound makes itself, when no remote answered a recipient. */
export const LocalReplies = Object.freeze({
  /** RFC 7505 3 and RFC 7504: a null MX means the domain accepts no mail. */
  nullMx: (domain: string) => new SmtpReply(556, '5.1.10', `Recipient address has null MX: ${domain} does not accept mail`),
  /** RFC 3463 X.1.2: bad destination system address. */
  noSuchDomain: (domain: string) => new SmtpReply(550, '5.1.2', `Host or domain name not found: ${domain}`),
  /** RFC 5321 5.1: no MX and no address either. X.4.4: unable to route. */
  noMailHost: (domain: string) => new SmtpReply(550, '5.4.4', `No mail exchanger and no address for ${domain}`),
  /** X.4.3: directory server failure. */
  dnsFailure: (domain: string) => new SmtpReply(451, '4.4.3', `Temporary DNS failure looking up the mail route of ${domain}, will retry`),
  /** Every address of every host failed: X.4.1 (no answer) unless the last failure says more. */
  unreachable: (destination: string, enhanced: string, last: string) =>
    new SmtpReply(451, enhanced.startsWith('4.') ? enhanced : '4.4.1', `No mail exchanger of ${destination} could take the message; last error: ${clean(last)}`),
  /** RFC 1870: the message is bigger than the remote's declared maximum. */
  tooBig: (peer: string, limit: string) => new SmtpReply(552, '5.3.4', `${peer} accepts messages of at most ${limit} bytes`),
  /** RFC 6152 / RFC 3463 X.6.3: 8-bit data and no 8BITMIME; outbound does not downgrade. */
  no8bit: (peer: string) => new SmtpReply(554, '5.6.3', `${peer} does not support 8BITMIME and the message has 8-bit data`),
  /** RFC 6531 3.4 and X.6.7: non-ASCII addresses and no SMTPUTF8. */
  noUtf8Address: (peer: string) => new SmtpReply(554, '5.6.7', `${peer} does not support SMTPUTF8 and the envelope has non-ASCII addresses`),
  /** RFC 6531 X.6.9: a UTF-8 header (SMTPUTF8 requested) and no SMTPUTF8. */
  noUtf8Header: (peer: string) => new SmtpReply(554, '5.6.9', `${peer} does not support SMTPUTF8, which the message needs`),
  /** RFC 4954 454 4.7.0: a smarthost refused our credentials; kept temporary on purpose (README). */
  authFailed: (peer: string, detail: string) =>
    new SmtpReply(454, '4.7.0', `${peer} refused the route's credentials (${clean(detail)}); will retry`),
  authUnavailable: (peer: string, why: string) => new SmtpReply(454, '4.7.0', `${peer}: ${why}; will retry`),
  /** X.5.0: the remote's answer could not be read as an SMTP reply. */
  garbled: (peer: string) => new SmtpReply(451, '4.5.0', `${peer} sent a reply that is not valid SMTP; will retry`),
  internal: () => new SmtpReply(451, '4.3.0', 'Temporary local problem in remote delivery, will retry'),
});
