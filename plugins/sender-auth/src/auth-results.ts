/**
 * The Authentication-Results header field (RFC 8601): writing ours, and recognising the
 * fields that claim our authserv-id so they can be removed (RFC 8601 5).
 */
import type { AuthResult } from '@posthorn/contracts';
import type { HeaderList } from '@posthorn/core';

export const FIELD = 'Authentication-Results';

/** One method result: `method=result (comment) ptype.property=value ...` (RFC 8601 2.2 resinfo). */
export interface ResInfo {
  readonly method: 'spf' | 'dkim' | 'dmarc' | 'arc';
  readonly result: AuthResult;
  readonly comment?: string;
  /** `[ptype.property, value]` pairs; values are formatted as pvalues here. */
  readonly properties: readonly (readonly [string, PropertyValue])[];
}

/** A pvalue (RFC 8601 2.2): a plain value, or an address (`local-part@domain`). */
export type PropertyValue = { readonly value: string } | { readonly address: string };

// RFC 2045 token: any printable ASCII except space and tspecials ()<>@,;:\"/[]?=
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;
const DOMAIN_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;
const COMMENT_LIMIT = 120;

function quoted(text: string): string {
  return `"${text.replace(/[\x00-\x1f\x7f]/g, ' ').replace(/(["\\])/g, '\\$1')}"`;
}

/** `value` of RFC 8601 (RFC 2045): a token when it is one, else a quoted-string. */
export function formatValue(text: string): string {
  return TOKEN.test(text) ? text : quoted(text);
}

/**
 * An address as a pvalue: `local-part@domain-name`, the local-part quoted when it is not a
 * dot-atom. Anything that is not such an address (a domain literal) becomes a quoted value.
 */
export function formatAddress(address: string): string {
  const at = address.lastIndexOf('@');
  const local = at === -1 ? '' : address.slice(0, at);
  const domain = at === -1 ? address : address.slice(at + 1);
  if (!DOMAIN_NAME.test(domain)) return quoted(address);
  if (at === -1) return domain;
  // A local-part given in quotes in MAIL FROM arrives here without them.
  return `${DOT_ATOM.test(local) ? local : quoted(local)}@${domain}`;
}

/** A comment (RFC 5322 3.2.2): parentheses and backslashes escaped, no line breaks, bounded. */
export function formatComment(text: string): string {
  const flat = text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  const short = flat.length > COMMENT_LIMIT ? `${flat.slice(0, COMMENT_LIMIT - 3)}...` : flat;
  return `(${short.replace(/([()\\])/g, '\\$1')})`;
}

function formatResInfo(info: ResInfo): string {
  const parts = [`${info.method}=${info.result}`];
  if (info.comment) parts.push(formatComment(info.comment));
  for (const [name, property] of info.properties) {
    parts.push(`${name}=${'address' in property ? formatAddress(property.address) : formatValue(property.value)}`);
  }
  return parts.join(' ');
}

/**
 * The field value: `authserv-id; resinfo; resinfo...`, one result per folded line, or
 * `authserv-id; none` when nothing was evaluated (RFC 8601 2.2 no-result).
 */
export function authResultsValue(authservId: string, results: readonly ResInfo[]): string {
  if (results.length === 0) return `${formatValue(authservId)}; none`;
  return [formatValue(authservId), ...results.map(formatResInfo)].join(';\r\n\t');
}

/**
 * The authserv-id of an Authentication-Results field value (lower case, unquoted), or
 * undefined when the value does not start with one. Leading comments and white space are
 * skipped (CFWS); the id is a token or a quoted-string (RFC 8601 2.2, 2.5).
 */
export function authservIdOf(value: string): string | undefined {
  let i = 0;
  // Skip CFWS: white space and (possibly nested) comments with quoted-pairs.
  for (;;) {
    while (i < value.length && /[ \t\r\n]/.test(value[i]!)) i++;
    if (value[i] !== '(') break;
    let depth = 0;
    for (; i < value.length; i++) {
      const c = value[i];
      if (c === '\\') i++;
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) {
        i++;
        break;
      }
    }
    if (depth > 0) return undefined;
  }
  if (value[i] === '"') {
    let id = '';
    for (i++; i < value.length; i++) {
      const c = value[i]!;
      if (c === '\\') id += value[++i] ?? '';
      else if (c === '"') return id.toLowerCase();
      else id += c;
    }
    return undefined;
  }
  const match = /^[^\s;()"]+/.exec(value.slice(i));
  return match ? match[0].toLowerCase() : undefined;
}

/**
 * Removes every Authentication-Results field that claims `authservId` (RFC 8601 5: a field
 * with our id that we did not add is forged, and later readers would trust it). Fields of
 * other hosts stay where they are. Returns how many were removed.
 */
export function removeOwnResults(headers: HeaderList, authservId: string): number {
  // A trailing dot names the same host (an absolute domain name).
  const bare = (id: string | undefined): string | undefined => id?.toLowerCase().replace(/\.$/, '');
  const ours = bare(authservId);
  const forged = headers.fields.filter((field) => field.key === FIELD.toLowerCase() && bare(authservIdOf(field.value)) === ours);
  for (const field of forged) headers.removeField(field);
  return forged.length;
}
