import assert from "node:assert/strict";
import { StallMonitor, stallMonitorFor, type Watched } from "../../lib/shared/net/stall_monitor.ts";

/** A writer whose write started at `writingSince` (or that is not writing). */
function writer(writingSince: number | undefined): Watched & { calls: number } {
  return {
    writingSince,
    calls: 0,
    stalled() {
      this.calls++;
    },
  };
}

Deno.test("StallMonitor reports a write that made no progress for the limit, once", {
  permissions: "none",
}, () => {
  let now = 1000;
  const monitor = new StallMonitor(100, { now: () => now });
  const stuck = writer(1000);
  const moving = writer(1000);
  monitor.watch(stuck);
  monitor.watch(moving);
  now = 1099;
  monitor.check();
  assert.equal(stuck.calls, 0, "99 ms is under the limit");
  (moving as { writingSince: number }).writingSince = 1090;
  now = 1100;
  monitor.check();
  assert.equal(stuck.calls, 1, "100 ms without progress is a stall");
  assert.equal(moving.calls, 0, "progress 10 ms ago");
  assert.equal(monitor.size, 1, "the stalled writer is no longer watched");
  now = 5000;
  monitor.check();
  assert.equal(stuck.calls, 1, "reported once");
  monitor.unwatch(moving);
  assert.equal(monitor.size, 0);
});

Deno.test(
  "StallMonitor never reports a writer that is not writing",
  { permissions: "none" },
  () => {
    let now = 0;
    const monitor = new StallMonitor(10, { now: () => now });
    const idle = writer(undefined);
    monitor.watch(idle);
    now = 1_000_000;
    monitor.check();
    assert.equal(idle.calls, 0);
    monitor.unwatch(idle);
  },
);

Deno.test("StallMonitor's timer finds a stall by itself and stops with the last writer", {
  permissions: "none",
}, async () => {
  const monitor = new StallMonitor(20);
  const reported = Promise.withResolvers<void>();
  const stuck: Watched = { writingSince: Date.now(), stalled: reported.resolve };
  const started = Date.now();
  monitor.watch(stuck);
  await reported.promise;
  assert.ok(Date.now() - started >= 20, "not before the limit");
  // The op sanitizer fails this test if the interval is still running here.
  assert.equal(monitor.size, 0);
});

Deno.test("StallMonitor refuses a limit that is not positive", { permissions: "none" }, () => {
  assert.throws(() => new StallMonitor(0), /must be positive, got 0/);
  assert.throws(() => new StallMonitor(NaN), /got NaN/);
});

Deno.test("stallMonitorFor shares one monitor per limit", { permissions: "none" }, () => {
  assert.equal(stallMonitorFor(1234), stallMonitorFor(1234));
  assert.notEqual(stallMonitorFor(1234), stallMonitorFor(1235));
});

Deno.test("a persistent StallMonitor keeps its timer between writers until stopped", {
  permissions: "none",
}, async () => {
  const monitor = new StallMonitor(20, { persistent: true });
  const quick: Watched = { writingSince: undefined, stalled: () => assert.fail("not writing") };
  monitor.watch(quick);
  monitor.unwatch(quick);
  const reported = Promise.withResolvers<void>();
  // Watched again later, by the same timer: the stall is still found.
  monitor.watch({ writingSince: Date.now(), stalled: reported.resolve });
  await reported.promise;
  monitor.stop();
  monitor.watch({ writingSince: 0, stalled: () => assert.fail("stopped: nothing is timed") });
  // The op sanitizer fails this test if stop() left a timer, or watch() started one after it.
});
