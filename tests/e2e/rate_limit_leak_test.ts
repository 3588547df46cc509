/**
 * The rate limiter's waits on a real socket leave nothing behind on the
 * server's shared stop signal: a listener left per wait made every later
 * wait slower (an EventTarget checks its listeners on each add), until 300
 * flooding connections held the server at 100% CPU.
 */
import assert from "node:assert/strict";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { startServer, TestClient } from "../support/harness.ts";
import { Bystanders } from "../support/bystanders.ts";

/**
 * Counts the `abort` listeners added to signals and not yet removed (or
 * fired), while installed: the test's window on the server's stop signal.
 */
class AbortListenerCount implements Disposable {
  #live = new Map<EventTarget, Set<unknown>>();
  #add = EventTarget.prototype.addEventListener;
  #remove = EventTarget.prototype.removeEventListener;

  constructor() {
    const live = this.#live;
    const add = this.#add;
    const remove = this.#remove;
    EventTarget.prototype.addEventListener = function (type, listener, options) {
      if (this instanceof AbortSignal && type === "abort" && !this.aborted) {
        const set = live.get(this) ?? new Set();
        set.add(listener);
        live.set(this, set);
      }
      return add.call(this, type, listener, options);
    };
    EventTarget.prototype.removeEventListener = function (type, listener, options) {
      if (this instanceof AbortSignal && type === "abort") live.get(this)?.delete(listener);
      return remove.call(this, type, listener, options);
    };
  }

  /** The most listeners live on any one signal that has not aborted. */
  get most(): number {
    let most = 0;
    for (const [signal, set] of this.#live) {
      if (!(signal as AbortSignal).aborted) most = Math.max(most, set.size);
    }
    return most;
  }

  [Symbol.dispose](): void {
    EventTarget.prototype.addEventListener = this.#add;
    EventTarget.prototype.removeEventListener = this.#remove;
  }
}

Deno.test("report requests above the rate limit leave no listener behind on the server's stop signal", async () => {
  using listeners = new AbortListenerCount();
  await using srv = await startServer({ rateLimit: { perSecond: 2000, burst: 1 } });
  await using people = await Bystanders.start(srv.port);
  const flooders = await Promise.all(
    Array.from({ length: 10 }, () => TestClient.connect(srv.port)),
  );
  const request = encodeFrame({ flags: FLAG.REPORT_REQUEST });
  const rounds = 40;
  const burst = new Uint8Array(request.length * rounds);
  for (let i = 0; i < rounds; i++) burst.set(request, i * request.length);
  await Promise.all(flooders.map((f) => f.sendRaw(burst)));
  // Every request is answered: each connection went through `rounds - 1` rate-limited waits.
  await Promise.all(
    flooders.map(async (f) => {
      for (let i = 0; i < rounds; i++) await f.next((r) => r.flags === FLAG.REPORT_RESPONSE);
    }),
  );
  // At most one wait per connection may be under way; 400 waits have ended.
  assert.ok(
    listeners.most <= flooders.length,
    `${listeners.most} abort listeners remain on one signal after ${
      flooders.length * rounds
    } requests`,
  );
  await Promise.all(flooders.map((f) => f.close()));
  await people.assertHealthy(srv.dir);
});
