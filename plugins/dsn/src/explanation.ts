/**
 * The human-readable part: short, plain English, 7-bit. It says what happened and quotes the
 * reply that explains it, and nothing else about the server's insides.
 */
import { rfc5322Date } from '@posthorn/core';
import type { RecipientReport } from './delivery-status.ts';
import { replyText } from './status.ts';
import { isPrintableAscii, printable, utf8AddrXtext } from './text-safety.ts';

export type NoticeType = 'failure' | 'delay' | 'success';

export interface ExplanationFacts {
  readonly type: NoticeType;
  readonly hostname: string;
  readonly reports: readonly RecipientReport[];
  /** Whether the whole message is attached, or its header only. */
  readonly wholeMessage: boolean;
  readonly arrival: Date | undefined;
  readonly now: Date;
}

const WIDTH = 72;

export function subjectOf(type: NoticeType): string {
  switch (type) {
    case 'failure':
      return 'Undelivered Mail Returned to Sender';
    case 'delay':
      return 'Delayed Mail (still being retried)';
    case 'success':
      return 'Successful Mail Delivery Report';
  }
}

export function explanation(facts: ExplanationFacts): string {
  const paragraphs: string[][] = [[`This is the mail system at ${printable(facts.hostname)}.`]];
  paragraphs.push(wrap(intro(facts)));
  for (const report of facts.reports) paragraphs.push(recipientLines(report, facts));
  paragraphs.push(wrap(facts.wholeMessage ? 'Your message is attached.' : 'The header of your message is attached.'));
  return paragraphs.map((lines) => lines.map((line) => `${line}\r\n`).join('')).join('\r\n');
}

function intro(facts: ExplanationFacts): string {
  const whom = facts.reports.length === 1 ? 'the recipient below' : 'the recipients below';
  const sent = facts.arrival ? ` sent on ${rfc5322Date(facts.arrival)}` : '';
  switch (facts.type) {
    case 'failure':
      return `Your message${sent} could not be delivered to ${whom}. The mail system has given up and will not try again.`;
    case 'delay': {
      const until = facts.reports.find((r) => r.willRetryUntil)?.willRetryUntil;
      const keepTrying = until ? `until ${rfc5322Date(until)}` : 'for a while';
      return `Your message${sent} has not been delivered yet to ${whom}. The mail system will keep trying ${keepTrying}. You do not need to send it again.`;
    }
    case 'success':
      return facts.reports.every((r) => r.action === 'delivered')
        ? `Your message${sent} was delivered to ${whom}.`
        : `Your message${sent} was passed on to the mail server of ${whom}. That server does not confirm delivery, so you may not hear more about it.`;
  }
}

function recipientLines(report: RecipientReport, facts: ExplanationFacts): string[] {
  const lines = [`<${isPrintableAscii(report.recipient.address) ? report.recipient.address : utf8AddrXtext(report.recipient.address)}>`];
  if (report.reply === undefined || facts.type === 'success') return lines;
  let lead: string;
  if (report.expired) {
    const tried = facts.arrival ? ` for ${duration(facts.now.getTime() - facts.arrival.getTime())}` : '';
    lead = `Delivery was tried${tried} without success. The last attempt failed with:`;
  } else if (facts.type === 'delay') {
    lead = 'The last attempt failed with:';
  } else {
    lead = 'The mail system reported:';
  }
  lines.push(...wrap(lead, '    '));
  lines.push(...wrap(replyText(report.reply), '    '));
  return lines;
}

/** Words into lines of at most WIDTH characters (a longer word gets a line of its own). */
export function wrap(text: string, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > WIDTH) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines.map((l) => (l.length > 998 ? l.slice(0, 998) : l));
}

/** A rough, human duration: "3 days", "5 hours", "12 minutes", "less than a minute". */
export function duration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (days >= 1) return plural(days, 'day');
  if (hours >= 1) return plural(hours, 'hour');
  if (minutes >= 1) return plural(minutes, 'minute');
  return 'less than a minute';
}
