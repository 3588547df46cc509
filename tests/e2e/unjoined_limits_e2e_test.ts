/**
 * What a connection that has not joined may make the server hold: a join
 * request's payload is an avatar (at most MAX_AVATAR_BYTES), an attachment
 * is refused at its header and skipped without a buffer of its own; a
 * refusal is read by the peer before the connection closes.
 */
import assert from "node:assert/strict";
import { CODE } from "../../lib/shared/wire/protocol_error.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { MAX_AVATAR_BYTES } from "../../lib/shared/avatar.ts";
import { MAX_MESSAGE_PAYLOAD } from "../../lib/shared/wire/layout.ts";
import { startServer, TestClient, text } from "../support/harness.ts";
import { Bystanders } from "../support/bystanders.ts";

Deno.test("a join request over the avatar limit is refused with PAYLOAD_TOO_LARGE, read by the peer before the close", async (t) => {
  await using srv = await startServer();
  await using people = await Bystanders.start(srv.port);
  for (const size of [MAX_AVATAR_BYTES + 1, MAX_MESSAGE_PAYLOAD - 1, MAX_MESSAGE_PAYLOAD + 1]) {
    await t.step(`${size} bytes, all sent`, async () => {
      await using big = await TestClient.connect(srv.port);
      big.send({
        flags: FLAG.JOIN_REQUEST,
        username: "Big",
        filename: "me.png",
        payload: new Uint8Array(size),
      });
      const error = await big.next((f) => hasFlag(f, FLAG.ERROR), 5000);
      await big.closed;
      assert.equal(error.code, CODE.PAYLOAD_TOO_LARGE);
      assert.match(
        text(error),
        new RegExp(`payload length ${size} exceeds the limit of ${MAX_AVATAR_BYTES} bytes`),
      );
    });
  }
  await people.assertHealthy(srv.dir);
});
