import { CliError, UsageError } from './errors.ts';

/**
 * The new password for `user add` and `user passwd`: one line from standard input with
 * --password-stdin, otherwise typed twice at the terminal without echo. Without a terminal and
 * without the flag there is nobody to ask, so the command refuses instead of hanging.
 */
export async function readNewPassword(options: { fromStdin: boolean; command: string }): Promise<string> {
  const password = options.fromStdin ? await readStdinLine() : await promptTwice(options.command);
  if (password === '') throw new CliError('the password is empty');
  return password;
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing line ending is what `echo` and here-strings add; it is not part of the password.
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (/[\r\n]/.test(text)) throw new CliError('--password-stdin expects a single line');
  return text;
}

async function promptTwice(command: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new UsageError('standard input is not a terminal, so there is nobody to ask for the password; pipe it in with --password-stdin', command);
  }
  const [first, second] = await promptHidden(['New password: ', 'Repeat it: ']);
  if (first !== second) throw new CliError('the passwords do not match');
  return first!;
}

/**
 * Asks each prompt in turn and reads one line per prompt from the terminal in raw mode,
 * echoing nothing. One raw session for all prompts, so that input typed (or pasted) ahead
 * is kept for the next prompt instead of being lost between two sessions.
 */
function promptHidden(prompts: readonly string[]): Promise<string[]> {
  const stdin = process.stdin;
  const answers: string[] = [];
  return new Promise((resolvePrompt, rejectPrompt) => {
    let typed = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      if (error) {
        process.stderr.write('\n');
        rejectPrompt(error);
      } else resolvePrompt(answers);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          answers.push(typed);
          typed = '';
          process.stderr.write('\n');
          if (answers.length === prompts.length) return finish();
          process.stderr.write(prompts[answers.length] ?? '');
        } else if (char === '\u0003' || (char === '\u0004' && typed === '')) {
          return finish(new CliError('cancelled', 130));
        } else if (char === '\u007f' || char === '\b') {
          typed = [...typed].slice(0, -1).join('');
        } else if (char >= ' ') {
          typed += char;
        }
      }
    };
    // Raw mode before the prompt: nothing typed in answer to it is ever echoed.
    stdin.setRawMode(true);
    process.stderr.write(prompts[0] ?? '');
    stdin.resume();
    stdin.on('data', onData);
  });
}
