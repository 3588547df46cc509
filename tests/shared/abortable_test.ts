import assert from "node:assert/strict";
import { sleep } from "../../lib/shared/abortable.ts";

/** An AbortSignal that counts its live `abort` listeners. */
function countingSignal(): { signal: AbortSignal; live: () => number; abort: () => void } {
  const controller = new AbortController();
  const signal = controller.signal;
  const listeners = new Set<unknown>();
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = (type: string, listener: unknown, options?: unknown) => {
    if (type === "abort") listeners.add(listener);
    add(type, listener as EventListener, options as AddEventListenerOptions);
  };
  signal.removeEventListener = (type: string, listener: unknown, options?: unknown) => {
    if (type === "abort") listeners.delete(listener);
    remove(type, listener as EventListener, options as EventListenerOptions);
  };
  return { signal, live: () => listeners.size, abort: () => controller.abort() };
}

Deno.test({
  name: "sleep() removes its abort listener when the timer fires",
  permissions: "none",
  fn: async () => {
    const { signal, live } = countingSignal();
    for (let i = 0; i < 50; i++) await sleep(0, signal);
    assert.equal(live(), 0);
  },
});

Deno.test({
  name: "sleep() ends at once when the signal aborts, and leaves no timer",
  permissions: "none",
  fn: async () => {
    const { signal, abort } = countingSignal();
    const started = performance.now();
    const waiting = sleep(60_000, signal);
    abort();
    await waiting;
    assert.ok(performance.now() - started < 1000);
    await sleep(60_000, signal); // already aborted: returns at once
  },
});

Deno.test({
  name: "sleep() ends when a promise settles, resolved or rejected",
  permissions: "none",
  fn: async () => {
    await sleep(60_000, Promise.resolve());
    await sleep(60_000, Promise.reject(new Error("no matter")));
  },
});
