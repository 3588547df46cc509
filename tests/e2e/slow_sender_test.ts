/**
 * Slow senders (slowloris): a frame trickled a byte at a time used to stay
 * open for ever, each byte restarting the stall timer. A header must now
 * arrive whole within the stall time and a payload at a minimum average
 * rate; an upload over a slow link still goes through.
 */
import assert from "node:assert/strict";
import { CODE } from "../../lib/shared/wire/protocol_error.ts";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { createHash } from "node:crypto";
import { startServer, TestClient, text } from "../support/harness.ts";
import { Bystanders } from "../support/bystanders.ts";

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `bytes` `step` at a time, `everyMs` apart, until done or the server closes. */
async function trickle(client: TestClient, bytes: Uint8Array, step: number, everyMs: number) {
  let closed = false;
  client.closed.then(() => closed = true);
  for (let at = 0; at < bytes.length && !closed; at += step) {
    await client.sendRaw(bytes.subarray(at, at + step)).catch(() => closed = true);
    await pause(everyMs);
  }
}

Deno.test("a header trickled a byte every 100 ms is closed with TIMEOUT within the stall time", async () => {
  await using srv = await startServer({ stallTimeoutMs: 500 });
  await using people = await Bystanders.start(srv.port);
  await using slow = await TestClient.connect(srv.port);
  const header = encodeFrame({ flags: FLAG.JOIN_REQUEST, username: "Slowloris" });
  const started = Date.now();
  const sending = trickle(slow, header, 1, 100); // 3.5 s for the whole header
  const error = await slow.next((f) => hasFlag(f, FLAG.ERROR), 2000);
  assert.equal(error.code, CODE.TIMEOUT);
  assert.match(text(error), /header took over 500 ms/);
  await slow.closed;
  assert.ok(Date.now() - started < 1500, `closed after ${Date.now() - started} ms`);
  await sending;
  await people.assertHealthy(srv.dir);
});

Deno.test("a payload trickled under the minimum rate is closed; an upload at a modest rate completes", async (t) => {
  await using srv = await startServer({
    stallTimeoutMs: 500,
    minPayloadRate: 1024,
    payloadRateWindowMs: 500,
    maxUsers: 10,
  });
  await using people = await Bystanders.start(srv.port);
  await t.step("a chat line of 20 KiB at 200 bytes/s", async () => {
    await using slow = await TestClient.join(srv.port, "Slow");
    const frame = encodeFrame({ payload: "x".repeat(20 * 1024) });
    const started = Date.now();
    const sending = trickle(slow, frame, 20, 100); // 100 s at this pace
    const error = await slow.next((f) => hasFlag(f, FLAG.ERROR), 3000);
    assert.equal(error.code, CODE.TIMEOUT);
    assert.match(text(error), /under the minimum of 1024 bytes\/s/);
    await slow.closed;
    assert.ok(Date.now() - started < 2500, `closed after ${Date.now() - started} ms`);
    await sending;
    await people.fun.nextText("Slow left the chatroom.");
  });
  await t.step("an upload of 24 KiB at about 12 KiB/s", async () => {
    await using modest = await TestClient.join(srv.port, "Modest");
    const body = new Uint8Array(24 * 1024).map((_, i) => i % 251);
    const sha256 = new Uint8Array(createHash("sha256").update(body).digest());
    const frame = encodeFrame({
      flags: FLAG.ATTACHMENT,
      filename: "slow-link.bin",
      sha256,
      payload: body,
    });
    await trickle(modest, frame, 1024, 80);
    const got = await people.cool.next((f) => hasFlag(f, FLAG.ATTACHMENT));
    assert.deepEqual(got.payload, body);
    assert.ok(!modest.frames.some((f) => hasFlag(f, FLAG.ERROR)));
  });
  await people.assertHealthy(srv.dir);
});
