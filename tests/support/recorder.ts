/**
 * Test support: a list that tests can wait on — each push re-checks the
 * waiting conditions, so a wait ends on the event itself, not on a poll.
 *
 * @example
 * ```ts
 * const events = new Recorder<RoomEvent>();
 * const session = new ChatSession({ ...options, onEvent: events.push });
 * await events.until((all) => all.length === 3, "three events arrived");
 * ```
 *
 * @module
 */

/** Items recorded in order, with waits on what they come to hold. */
export class Recorder<T> {
  /** Every item pushed so far, in order. */
  readonly items: T[] = [];
  #waiters = new Set<() => void>();

  /** Records `item` and wakes the waits it satisfies (a bound function, to pass as a callback). */
  readonly push = (item: T): void => {
    this.items.push(item);
    for (const wake of [...this.#waiters]) wake();
  };

  /**
   * Resolves once `check` holds for the items (checked now and on every
   * push); rejects after `timeoutMs`, naming `what` was awaited.
   */
  until(check: (items: readonly T[]) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (check(this.items)) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const wake = () => {
      if (!check(this.items)) return;
      this.#waiters.delete(wake);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      this.#waiters.delete(wake);
      reject(new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`));
    }, timeoutMs);
    this.#waiters.add(wake);
    return promise;
  }

  /** Resolves once some item matches (checked now and on every push). */
  some(match: (item: T) => boolean, what: string, timeoutMs?: number): Promise<void> {
    return this.until((items) => items.some(match), what, timeoutMs);
  }
}
