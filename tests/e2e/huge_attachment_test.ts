/**
 * An attachment over --max-attachment is refused and its connection closed:
 * the server does not read what it would only throw away.
 */
import assert from "node:assert/strict";
import { CODE } from "../../lib/shared/wire/protocol_error.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { startServer, TestClient, text } from "../support/harness.ts";
import { Bystanders } from "../support/bystanders.ts";

/** Resolves true once `client` is closed by the server, false after `ms`. */
async function closedWithin(client: TestClient, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closed = await Promise.race([
    client.closed.then(() => true),
    new Promise<boolean>((r) => timer = setTimeout(() => r(false), ms)),
  ]);
  clearTimeout(timer);
  return closed;
}

Deno.test("an attachment announced at 2^53 - 1 bytes is refused and its connection closed at once", async () => {
  await using srv = await startServer({ maxUsers: 10 });
  await using people = await Bystanders.start(srv.port);
  await using mallory = await TestClient.join(srv.port, "Mallory");
  mallory.send({
    flags: FLAG.ATTACHMENT,
    filename: "huge.bin",
    sha256: new Uint8Array(32),
    payloadLength: Number.MAX_SAFE_INTEGER,
  });
  const refusal = await mallory.next((f) => hasFlag(f, FLAG.ERROR));
  assert.equal(refusal.code, CODE.ATTACHMENT_TOO_LARGE);
  assert.equal(
    text(refusal),
    "Cannot accept huge.bin: it is 9007199254740991 bytes, over the server's limit of " +
      "104857600 bytes (100 MiB); closing the connection.",
  );
  // Before, the server kept the connection to read and skip 8 PiB (dropped only at the stall timeout).
  assert.ok(await closedWithin(mallory, 3000), "the server closed the connection");
  await people.fun.nextText("Mallory left the chatroom.");
  assert.ok(!people.fun.frames.some((f) => hasFlag(f, FLAG.ERROR)), "nobody else is told");
  await people.assertHealthy(srv.dir);
});

Deno.test("a refusal for one byte over the limit gives the exact sizes rounding would hide", async () => {
  await using srv = await startServer();
  await using people = await Bystanders.start(srv.port);
  people.cool.send({
    flags: FLAG.ATTACHMENT,
    filename: "almost.bin",
    sha256: new Uint8Array(32),
    payloadLength: 100 * 1024 * 1024 + 1,
  });
  const refusal = await people.cool.next((f) => hasFlag(f, FLAG.ERROR));
  assert.equal(refusal.code, CODE.ATTACHMENT_TOO_LARGE);
  assert.match(
    text(refusal),
    /it is 104857601 bytes, over the server's limit of 104857600 bytes \(100 MiB\)/,
  );
  assert.ok(await closedWithin(people.cool, 3000), "the server closed the connection");
  await people.fun.nextText("Cool left the chatroom.");
});
