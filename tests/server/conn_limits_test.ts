import assert from "node:assert/strict";
import { addressKey, ConnectionLimits, isLoopback } from "../../lib/server/limits/conn_limits.ts";

Deno.test("ConnectionLimits caps the total, then admits again after a release", {
  permissions: "none",
}, () => {
  const limits = new ConnectionLimits({ maxConnections: 2 });
  assert.equal(limits.admit("10.0.0.1"), null);
  assert.equal(limits.admit("10.0.0.2"), null);
  assert.equal(
    limits.admit("10.0.0.3"),
    "Server busy: it has reached its limit of 2 connections. Try again later.",
  );
  assert.equal(limits.total, 2);
  limits.release("10.0.0.1");
  assert.equal(limits.admit("10.0.0.3"), null);
});

Deno.test('ConnectionLimits says "1 connection", not "1 connections"', () => {
  const total = new ConnectionLimits({ maxConnections: 1 });
  total.admit("10.0.0.1");
  assert.match(total.admit("10.0.0.2")!, /limit of 1 connection\. Try again later\.$/);
  const perAddress = new ConnectionLimits({ maxPerAddress: 1 });
  perAddress.admit("10.0.0.1");
  assert.match(perAddress.admit("10.0.0.1")!, /already has 1 connection, the limit per address/);
});

Deno.test(
  "ConnectionLimits caps one address without touching the others",
  { permissions: "none" },
  () => {
    const limits = new ConnectionLimits({ maxPerAddress: 2 });
    assert.equal(limits.admit("10.0.0.1"), null);
    assert.equal(limits.admit("10.0.0.1"), null);
    assert.match(
      limits.admit("10.0.0.1")!,
      /^Server busy: 10\.0\.0\.1 already has 2 connections, the limit per address/,
    );
    assert.equal(limits.admit("10.0.0.2"), null);
    assert.equal(limits.countFor("10.0.0.1"), 2);
    limits.release("10.0.0.1");
    assert.equal(limits.admit("10.0.0.1"), null);
  },
);

Deno.test("ConnectionLimits exempts loopback from the per-address cap unless told", {
  permissions: "none",
}, async (t) => {
  for (const host of ["127.0.0.1", "127.5.6.7", "::1", "::ffff:127.0.0.1"]) {
    await t.step(host, () => {
      const exempt = new ConnectionLimits({ maxPerAddress: 1 });
      assert.equal(exempt.admit(host), null);
      assert.equal(exempt.admit(host), null);
      const counted = new ConnectionLimits({ maxPerAddress: 1, limitLoopback: true });
      assert.equal(counted.admit(host), null);
      assert.match(counted.admit(host)!, /^Server busy/);
    });
  }
  await t.step("the total cap applies to loopback too", () => {
    const limits = new ConnectionLimits({ maxConnections: 1 });
    assert.equal(limits.admit("127.0.0.1"), null);
    assert.match(limits.admit("127.0.0.1")!, /limit of 1 connection\./);
  });
});

Deno.test("ConnectionLimits counts an IPv6 /64 as one address", { permissions: "none" }, () => {
  const limits = new ConnectionLimits({ maxPerAddress: 2 });
  assert.equal(limits.admit("2001:db8:0:1::a"), null);
  assert.equal(limits.admit("2001:db8:0:1:ffff::b"), null);
  assert.match(limits.admit("2001:db8:0:1:0:0:0:c")!, /2001:db8:0:1::\/64 already has 2/);
  assert.equal(limits.admit("2001:db8:0:2::a"), null);
});

Deno.test("ConnectionLimits.release() of a connection never admitted is a bug, said loudly", {
  permissions: "none",
}, () => {
  assert.throws(
    () => new ConnectionLimits().release("10.9.9.9"),
    /Cannot release a connection from 10\.9\.9\.9: none is counted/,
  );
});

Deno.test(
  "addressKey() normalizes the forms an address arrives in",
  { permissions: "none" },
  async (t) => {
    const cases: [string, string][] = [
      ["192.0.2.7", "192.0.2.7"],
      ["::ffff:192.0.2.7", "192.0.2.7"],
      ["::FFFF:c000:0207", "192.0.2.7"],
      ["::1", "0:0:0:0:0:0:0:1"],
      ["0:0:0:0:0:0:0:1", "0:0:0:0:0:0:0:1"],
      ["[2001:DB8::1]", "2001:db8:0:0::/64"],
      ["fe80::1%eth0", "fe80:0:0:0::/64"],
      ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
      ["not an address", "not an address"],
    ];
    for (const [input, key] of cases) {
      await t.step(input, () => assert.equal(addressKey(input), key));
    }
  },
);

Deno.test("isLoopback() knows 127/8, ::1 and their mapped forms, and nothing else", {
  permissions: "none",
}, () => {
  for (const host of ["127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1", "localhost"]) {
    assert.ok(isLoopback(host), host);
  }
  for (const host of ["10.0.0.1", "128.0.0.1", "::2", "::ffff:10.0.0.1", "2001:db8::1"]) {
    assert.ok(!isLoopback(host), host);
  }
});
