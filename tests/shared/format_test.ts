import assert from "node:assert/strict";
import { clock, dateTime, stamp } from "../../lib/shared/format.ts";

Deno.test("stamp() shows today's time as the assignment does and another day's with its date", async (t) => {
  const now = new Date(2026, 11, 2, 9, 0, 0).getTime();
  await t.step("today: HH:MM:SS", () => {
    const today = new Date(2026, 11, 2, 0, 0, 1).getTime();
    assert.equal(stamp(today, now), "00:00:01");
    assert.equal(stamp(today, now), clock(today));
  });
  await t.step("yesterday: YYYY-MM-DD HH:MM:SS", () => {
    assert.equal(stamp(new Date(2026, 11, 1, 20, 32, 40).getTime(), now), "2026-12-01 20:32:40");
  });
  await t.step("the same day of another month or year has its date", () => {
    assert.equal(stamp(new Date(2026, 10, 2, 9, 0, 0).getTime(), now), "2026-11-02 09:00:00");
    assert.equal(stamp(new Date(2025, 11, 2, 9, 0, 0).getTime(), now), "2025-12-02 09:00:00");
  });
  await t.step("a year before 1000 is padded to four digits", () => {
    const d = new Date(2026, 0, 5, 1, 2, 3);
    d.setFullYear(999);
    assert.equal(stamp(d.getTime(), now), "0999-01-05 01:02:03");
  });
});

Deno.test("clock() gives each second's HH:MM:SS, the same within a second and the next one after it", () => {
  const base = new Date(2026, 11, 4, 23, 59, 58, 0).getTime();
  assert.equal(clock(base), "23:59:58");
  assert.equal(clock(base + 999), "23:59:58");
  assert.equal(clock(base + 1000), "23:59:59");
  assert.equal(clock(base + 2000), "00:00:00");
  assert.equal(clock(base + 999), "23:59:58", "an earlier second again");
  assert.equal(clock(base - 1), "23:59:57");
});

Deno.test("a time no date can hold shows as --:--:--, not NaN", { permissions: "none" }, () => {
  for (const timestamp of [Number.MAX_SAFE_INTEGER, 8.64e15 + 1, -8.64e15 - 1]) {
    assert.equal(clock(timestamp), "--:--:--");
    assert.equal(dateTime(timestamp), "--:--:--");
    assert.equal(stamp(timestamp), "--:--:--");
  }
  assert.match(stamp(8.64e15, 0), /^275760-09-1[23] \d\d:\d\d:00$/, "the last one that can");
});
