/**
 * Polling with a deadline, for things that happen after an SMTP reply (the queue delivers
 * asynchronously) and that no event of ours can announce. Deadlines are generous on purpose:
 * the suite shares two cores with other test files, and a deadline only bounds a failure.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((next) => setTimeout(next, intervalMs));
  }
}
