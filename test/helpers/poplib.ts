import assert from 'node:assert/strict';
import { describeRun, onPath, runProgramBytes } from './programs.ts';

export const PYTHON = onPath('python3') ? 'python3' : '/usr/bin/python3';

/** Python's poplib, clear text on loopback: RETR 1, DELE 1, QUIT; returns QUIT's answer and the message as retrieved. */
export async function poplibRetrieveAndDelete(port: number, user: string, password: string): Promise<{ quit: string; message: Buffer }> {
  const script = `
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=30)
p.user(sys.argv[2])
p.pass_(sys.argv[3])
body = b"".join(line + b"\\r\\n" for line in p.retr(1)[1])
p.dele(1)
print(p.quit().decode())
sys.stdout.flush()
sys.stdout.buffer.write(body)
`;
  const result = await runProgramBytes(PYTHON, ['-c', script, String(port), user, password], { timeoutMs: 60_000 });
  assert.equal(result.code, 0, describeRun(result));
  const newline = result.stdout.indexOf('\n');
  return { quit: result.stdout.subarray(0, newline).toString(), message: result.stdout.subarray(newline + 1) };
}
