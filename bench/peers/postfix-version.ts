import { runCommand } from '../lib/processes.ts';

/** Postfix's version as its own tools report it (smtp-source and smtp-sink ship with it). */
export async function postfixVersion(): Promise<string> {
  const result = await runCommand('postconf', ['-d', '-h', 'mail_version'], { timeoutMs: 10_000 });
  return result.code === 0 ? `Postfix ${result.stdout.trim()}` : 'Postfix (version unknown)';
}
