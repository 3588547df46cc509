import assert from "node:assert/strict";
import { DEFAULT_RATE_LIMIT, TokenBucket } from "../../lib/server/limits/rate_limit.ts";

Deno.test("TokenBucket lets a burst through at once, then paces at the rate", {
  permissions: "none",
}, () => {
  const bucket = new TokenBucket({ perSecond: 10, burst: 3 }, 0);
  assert.deepEqual([bucket.take(0), bucket.take(0), bucket.take(0)], [0, 0, 0]);
  assert.equal(bucket.take(0), 100);
  assert.equal(bucket.take(0), 200, "waiters queue up behind each other");
  assert.equal(bucket.take(200), 100);
});

Deno.test("TokenBucket refills while idle, never above the burst", { permissions: "none" }, () => {
  const bucket = new TokenBucket({ perSecond: 10, burst: 2 }, 0);
  bucket.take(0);
  bucket.take(0);
  assert.equal(bucket.available(50), 0.5);
  assert.equal(bucket.available(60_000), 2);
  assert.equal(bucket.take(60_000), 0);
});

Deno.test("TokenBucket ignores a clock that goes backwards", { permissions: "none" }, () => {
  const bucket = new TokenBucket({ perSecond: 1, burst: 1 }, 1000);
  assert.equal(bucket.take(1000), 0);
  assert.equal(bucket.take(0), 1000);
});

Deno.test("TokenBucket: the default passes a 20-line paste straight through", {
  permissions: "none",
}, () => {
  const bucket = new TokenBucket(DEFAULT_RATE_LIMIT, 0);
  for (let i = 0; i < 20; i++) assert.equal(bucket.take(0), 0, `line ${i + 1}`);
});

Deno.test("TokenBucket holds a flood of 10,000 frames to the rate", { permissions: "none" }, () => {
  const bucket = new TokenBucket({ perSecond: 100, burst: 10 }, 0);
  let now = 0;
  for (let i = 0; i < 10_000; i++) now += bucket.take(now);
  // 10 free, then 9,990 at 100 a second.
  assert.ok(Math.abs(now - 99_900) <= 10, `took ${now} ms`);
});

Deno.test(
  "TokenBucket refuses a rate that makes no sense, naming it",
  { permissions: "none" },
  () => {
    assert.throws(
      () => new TokenBucket({ perSecond: 0, burst: 5 }, 0),
      /rate limit of 0 per second with a burst of 5/,
    );
    assert.throws(() => new TokenBucket({ perSecond: 1, burst: 0.5 }, 0), RangeError);
  },
);
