/**
 * Connections that never join must not hold the slots: past the join
 * timeout they are told TIMEOUT and closed, while a user at the menu who
 * keeps asking for reports, and a joined user idle for any time, stay.
 */
import assert from "node:assert/strict";
import { CODE } from "../../lib/shared/wire/protocol_error.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { startServer, TestClient, text } from "../support/harness.ts";
import { Bystanders } from "../support/bystanders.ts";

const JOIN_TIMEOUT_MS = 400;

Deno.test("connections that never join are closed with TIMEOUT after the join timeout; a report loop and an idle member stay", async () => {
  const idlers = 20;
  await using srv = await startServer({
    joinTimeoutMs: JOIN_TIMEOUT_MS,
    maxConnections: 2 + 1 + 1 + idlers,
    maxUsers: 10,
  });
  await using people = await Bystanders.start(srv.port);
  await using member = await TestClient.join(srv.port, "Idle");
  await using reporter = await TestClient.connect(srv.port);
  const idle = await Promise.all(
    Array.from({ length: idlers }, () => TestClient.connect(srv.port)),
  );
  // Every slot is taken: a newcomer is turned away.
  await using locked = await TestClient.connect(srv.port);
  assert.equal((await locked.next((f) => hasFlag(f, FLAG.ERROR))).code, CODE.SERVER_BUSY);
  const started = Date.now();
  // The reporter asks for a report every 150 ms, for three join timeouts.
  for (let i = 0; Date.now() - started < 3 * JOIN_TIMEOUT_MS; i++) {
    reporter.send({ flags: FLAG.REPORT_REQUEST });
    await reporter.next((f) => hasFlag(f, FLAG.REPORT_RESPONSE));
    await new Promise((r) => setTimeout(r, 150));
  }
  for (const conn of idle) {
    const error = await conn.next((f) => hasFlag(f, FLAG.ERROR), 2000);
    assert.equal(error.code, CODE.TIMEOUT);
    assert.match(text(error), /has not joined the chatroom within 400 ms/);
    await conn.closed;
  }
  assert.ok(Date.now() - started >= JOIN_TIMEOUT_MS - 50, "not before the timeout");
  assert.ok(!reporter.frames.some((f) => hasFlag(f, FLAG.ERROR)), "the reporter stays");
  member.say("still here after all that");
  await people.cool.nextText("still here after all that");
  await Promise.all(idle.map((c) => c.close()));
  await people.assertHealthy(srv.dir);
});
