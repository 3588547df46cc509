/**
 * Small waiting helpers that never leave a timer behind (tests run with
 * Deno's op sanitizer) and can be cut short on shutdown.
 *
 * @module
 */

/**
 * Waits `ms` milliseconds, or less if `until` comes first: an abort signal
 * firing, or a promise settling. Never rejects.
 *
 * Whichever comes first, nothing is left behind: the timer is cleared and
 * the `abort` listener removed. The signal is usually long-lived (a server's
 * stop signal, waited on by every rate-limited read), so a listener left per
 * call would pile up, and every later add would cost more. A promise cannot
 * drop a callback, so pass only a short-lived one (it settles once and is
 * gone).
 *
 * @example
 * ```ts
 * await sleep(100, new AbortController().signal);
 * ```
 */
export function sleep(ms: number, until: AbortSignal | Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      if (until instanceof AbortSignal) until.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (until instanceof AbortSignal) {
      if (until.aborted) return done();
      until.addEventListener("abort", done, { once: true });
    } else {
      until.then(done, done);
    }
  });
}

/**
 * Passes `chunks` through until `signal` aborts; the next chunk then throws
 * the signal's reason instead (e.g. to abort an upload on shutdown: the
 * consumer's cleanup runs, removing its temporary file).
 */
export async function* untilAborted<T>(
  chunks: AsyncIterable<T>,
  signal: AbortSignal,
): AsyncGenerator<T> {
  for await (const chunk of chunks) {
    signal.throwIfAborted();
    yield chunk;
  }
}
