/**
 * The BODY and BODYSTRUCTURE fetch items (RFC 9051 7.5.2). BODY is the non-extended form;
 * BODYSTRUCTURE adds the extension data (MD5, disposition, language, location for single
 * parts; parameters, disposition, language, location for multiparts).
 *
 * Media types, encodings, parameter names and disposition types are sent in upper case as in
 * the RFC examples; parameter values as written. An RFC 2231 extended parameter is sent as
 * `NAME*` with its `charset'language'percent-encoded` value so the charset is not lost.
 */

import type { ImapValue } from '../protocol/values.ts';
import { envelope } from './envelope.ts';
import type { MimeParam, MimePart } from './structure.ts';

export function bodyStructure(part: MimePart, extended: boolean): ImapValue {
  if (part.children.length > 0) {
    const value: ImapValue[] = part.children.map((child) => bodyStructure(child, extended));
    value.push(part.subtype.toUpperCase());
    if (extended) value.push(paramList(part.params), ...extensionTail(part));
    return value;
  }

  const value: ImapValue[] = [
    part.type.toUpperCase(),
    part.subtype.toUpperCase(),
    paramList(part.params),
    part.id,
    part.description,
    part.encoding.toUpperCase(),
    part.size,
  ];
  if (part.message) {
    value.push(envelope(part.message), bodyStructure(part.message, extended), part.lines);
  } else if (part.type === 'text') {
    value.push(part.lines);
  }
  if (extended) value.push(part.md5, ...extensionTail(part));
  return value;
}

/** body-fld-dsp, body-fld-lang and body-fld-loc, common to both kinds of part. */
function extensionTail(part: MimePart): ImapValue[] {
  const disposition = part.disposition ? [part.disposition.type.toUpperCase(), paramList(part.disposition.params)] : null;
  let language: ImapValue = null;
  if (part.language) language = part.language.length === 1 ? part.language[0]! : [...part.language];
  return [disposition, language, part.location];
}

function paramList(params: readonly MimeParam[]): ImapValue {
  if (params.length === 0) return null;
  const list: ImapValue[] = [];
  for (const param of params) {
    if (param.extended) list.push(`${param.name.toUpperCase()}*`, param.extended.encoded);
    else list.push(param.name.toUpperCase(), param.value);
  }
  return list;
}
