import assert from "node:assert/strict";
import { BurstPool, DEFAULT_RATE_LIMIT, TokenBucket } from "../../lib/server/limits/rate_limit.ts";

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

Deno.test(
  "BurstPool: one burst per address, however often it connects; each connection keeps the rate",
  {
    permissions: "none",
  },
  () => {
    const pool = new BurstPool({ perSecond: 10, burst: 30 });
    const first = pool.open("10.0.0.1", 0);
    assert.equal(first.available(0), 30);
    // Side by side or one after the other: the next connection finds the burst taken.
    const second = pool.open("10.0.0.1", 0);
    assert.equal(second.available(0), 0);
    assert.equal(second.take(0), 100, "paced at the rate");
    assert.equal(pool.open("10.0.0.1", 500).available(500), 5, "refilled at the rate since");
    assert.equal(first.available(0), 30, "a connection's own bucket is its own");
    // Another address has a burst of its own.
    assert.equal(pool.open("10.0.0.2", 500).available(500), 30);
    // Refilled: forgotten.
    assert.equal(pool.open("10.0.0.1", 4_000).available(4_000), 30);
    assert.equal(pool.open("10.0.0.3", 10_000).available(10_000), 30);
    assert.equal(pool.size, 1, "only the address just seen is remembered");
    // Loopback has a full burst per connection unless its bursts are pooled too.
    assert.equal(pool.open("127.0.0.1", 10_000).available(10_000), 30);
    assert.equal(pool.open("127.0.0.1", 10_000).available(10_000), 30);
    const strict = new BurstPool({ perSecond: 10, burst: 30 }, { limitLoopback: true });
    assert.equal(strict.open("127.0.0.1", 0).available(0), 30);
    assert.equal(strict.open("::1", 0).available(0), 30, "another address");
    assert.equal(strict.open("127.0.0.1", 0).available(0), 0);
  },
);

Deno.test("BurstPool remembers a bounded number of addresses, forgetting the oldest", {
  permissions: "none",
}, () => {
  const pool = new BurstPool({ perSecond: 10, burst: 30 }, { maxAddresses: 100 });
  for (let i = 0; i < 1_000; i++) pool.open(`10.0.${i >> 8}.${i & 255}`, 0);
  assert.equal(pool.size, 100);
  assert.equal(pool.open("10.0.3.231", 0).available(0), 0, "the newest is remembered");
  assert.equal(pool.open("10.0.0.0", 0).available(0), 30, "the oldest is forgotten");
});
