import assert from "node:assert/strict";
import { ReadBudget } from "../../lib/shared/net/read_budget.ts";
import { CODE, ProtocolError } from "../../lib/shared/wire/protocol_error.ts";

const timeout = (pattern: RegExp) => (e: unknown) =>
  e instanceof ProtocolError && e.code === CODE.TIMEOUT && pattern.test(e.message);

Deno.test({
  name: "ReadBudget never times a peer idle between frames, unless a deadline is set",
  permissions: "none",
  fn: () => {
    const budget = new ReadBudget({ stallTimeoutMs: 100 });
    budget.idle();
    assert.equal(budget.check(1e12), Infinity);
    budget.setDeadline(1000, "Join in time");
    assert.equal(budget.check(400), 600);
    assert.throws(() => budget.check(1000), timeout(/^Join in time$/));
    budget.setDeadline(undefined);
    assert.equal(budget.check(5000), Infinity);
  },
});

Deno.test({
  name: "ReadBudget gives a whole header the stall time, however its bytes trickle",
  permissions: "none",
  fn: () => {
    const budget = new ReadBudget({ stallTimeoutMs: 1000 });
    budget.startHeader(0, 1);
    for (let t = 100; t < 1000; t += 100) {
      budget.progress(t, 1);
      assert.equal(budget.check(t), 1000 - t);
    }
    assert.throws(
      () => budget.check(1000),
      timeout(/header took over 1000 ms to arrive \(10 bytes/),
    );
  },
});

Deno.test({
  name: "ReadBudget holds a payload to its minimum rate after the first window",
  permissions: "none",
  fn: async (t) => {
    await t.step("fast enough: each window passes", () => {
      const budget = new ReadBudget({ minBytesPerSecond: 1000, rateWindowMs: 1000 });
      budget.startPayload(0, 0);
      for (let at = 100; at <= 5000; at += 100) {
        budget.progress(at, 150);
        budget.check(at);
      }
    });
    await t.step("a trickle is caught at the end of a window", () => {
      const budget = new ReadBudget({ minBytesPerSecond: 1000, rateWindowMs: 1000 });
      budget.startPayload(0, 0);
      budget.progress(500, 10);
      assert.equal(budget.check(500), 500);
      assert.throws(() => budget.check(1000), timeout(/10 bytes\/s over 1000 ms/));
    });
    await t.step("bytes already buffered with the header count", () => {
      const budget = new ReadBudget({ minBytesPerSecond: 1000, rateWindowMs: 1000 });
      budget.startPayload(0, 900);
      budget.progress(900, 100);
      budget.check(1000);
    });
    await t.step("no byte for the stall time is a stall, rate or not", () => {
      const budget = new ReadBudget({ stallTimeoutMs: 300 });
      budget.startPayload(0, 0);
      assert.throws(() => budget.check(300), timeout(/sent nothing for 300 ms/));
    });
  },
});
