import { isIPv6 } from 'node:net';

/** RFC 5322 date-time, in UTC. */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** An address literal as RFC 5321 4.1.3 writes it. */
export function addressLiteral(ip: string): string {
  return isIPv6(ip) ? `[IPv6:${ip}]` : `[${ip}]`;
}

/** Keeps a client-supplied name from breaking out of the Received syntax. */
function safeToken(value: string): string {
  return value.replace(/[^A-Za-z0-9.\-_:[\]]/g, '?').slice(0, 255);
}

export interface ReceivedFacts {
  readonly helo: string | undefined;
  readonly remoteHostname: string | undefined;
  readonly remoteAddress: string;
  readonly hostname: string;
  readonly esmtp: boolean;
  readonly tls: { readonly version?: string; readonly cipher?: string } | undefined;
  readonly authenticated: boolean;
  readonly utf8: boolean;
  readonly id: string;
  /** Named only when there is exactly one recipient, so a copy does not reveal the others. */
  readonly recipients: readonly string[];
  readonly date: Date;
  /** Leave the client's address and names out (privacy on submission). */
  readonly hideClient?: boolean;
}

/**
 * The value of the Received trace field (RFC 5321 4.4), with the protocol keywords of RFC 3848
 * and RFC 6531 (ESMTP, ESMTPS, ESMTPA, ESMTPSA, UTF8SMTP...).
 */
export function receivedValue(facts: ReceivedFacts): string {
  // TLS and AUTH are ESMTP extensions: "SMTPS"/"SMTPA" are not registered keywords, so a
  // session that greeted with HELO (implicit TLS, or HELO after AUTH) is named ESMTPS/ESMTPA.
  const base = facts.utf8 ? 'UTF8SMTP' : facts.esmtp || facts.tls || facts.authenticated ? 'ESMTP' : 'SMTP';
  const protocol = `${base}${facts.tls ? 'S' : ''}${facts.authenticated ? 'A' : ''}`;
  const parts: string[] = [];
  if (!facts.hideClient) {
    const remoteName = facts.remoteHostname ? `${safeToken(facts.remoteHostname)} ` : '';
    parts.push(`from ${safeToken(facts.helo ?? 'unknown')} (${remoteName}${addressLiteral(facts.remoteAddress)})`);
  }
  const tls = facts.tls ? ` (${[facts.tls.version, facts.tls.cipher].filter(Boolean).map((v) => safeToken(String(v))).join(' ')})` : '';
  parts.push(`by ${facts.hostname} (Posthorn) with ${protocol}${tls} id ${facts.id}`);
  const only = facts.recipients.length === 1 ? facts.recipients[0] : undefined;
  // Any control character (not only CR/LF) or angle bracket would corrupt the field.
  if (only !== undefined && !/[\x00-\x1f\x7f<>]/.test(only)) parts.push(`for <${only}>`);
  return `${parts.join('\r\n\t')}; ${rfc5322Date(facts.date)}`;
}
