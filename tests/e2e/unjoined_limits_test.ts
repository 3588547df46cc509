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
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { concatBytes } from "../../lib/shared/wire/bytes.ts";
import { startServer, TestClient, text } from "../support/harness.ts";
import { denoLauncher, ProgramProcess } from "../support/program_process.ts";
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

/** The resident memory of process `pid`, in bytes (Linux). */
async function residentBytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

Deno.test({
  name:
    "an unjoined connection holds under 768 KiB of resident memory however it stalls (measured on a server subprocess)",
  ignore: Deno.build.os !== "linux",
  fn: async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "chatroom-memory-" });
    await using server = ProgramProcess.start(
      denoLauncher("server"),
      ["--host", "127.0.0.1", "--port", "0"],
      { cwd: dir },
    );
    const [, port] = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    const peers = 40;
    const measure = async (what: string, first: Uint8Array, perPeerLimit: number) => {
      await t.step(what, async () => {
        const before = await residentBytes(server.pid);
        const conns = await Promise.all(
          Array.from({ length: peers }, () => TestClient.connect(Number(port))),
        );
        await Promise.all(conns.map((c) => c.sendRaw(first)));
        // Each peer has sent all it will; give the server a moment to read it all.
        await new Promise((r) => setTimeout(r, 1000));
        const perPeer = ((await residentBytes(server.pid)) - before) / peers;
        console.log(`${what}: ${Math.round(perPeer / 1024)} KiB per connection`);
        assert.ok(perPeer < perPeerLimit, `${Math.round(perPeer / 1024)} KiB per connection`);
        await Promise.all(conns.map((c) => c.close()));
      });
    };
    const avatar = encodeFrame({
      flags: FLAG.JOIN_REQUEST,
      username: "Big",
      filename: "me.png",
      payload: new Uint8Array(MAX_AVATAR_BYTES),
    });
    await measure(
      "a join request's avatar, all but its last byte",
      avatar.subarray(0, avatar.length - 1),
      // Live: the avatar so far (256 KiB) and a 64 KiB read buffer; the rest is the
      // growing buffer's garbage, not yet collected.
      768 * 1024,
    );
    const huge = encodeFrame({
      flags: FLAG.ATTACHMENT,
      filename: "huge.bin",
      sha256: new Uint8Array(32),
      payloadLength: 100 * 1024 * 1024,
    });
    await measure(
      "an attachment announced, one byte of it sent",
      concatBytes([huge, new Uint8Array(1)]),
      // Its read buffer and the socket's own costs; before, a chunk ring too (~310 KiB).
      160 * 1024,
    );
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  },
});
