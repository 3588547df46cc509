/**
 * A broken upload, end to end: the real server (in-process, port 0), a raw
 * uploader that breaks off or lies about its digest, the real terminal
 * client as a STREAM receiver, and a bystander. The receiver prints one
 * line saying why the file was discarded and keeps nothing, the server
 * records nothing, the bystander's chat goes on, and the next upload
 * arrives whole.
 */
import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import { joinAs, quit, startTerminalClient } from "../support/client_programs.ts";
import { F, joined, sha256, uploadHeader } from "../conformance/raw_wire.ts";
import { randomBytes } from "../support/random_bytes.ts";

const MiB = 1024 * 1024;

/** Every name in `dir`, hidden ones (temporary files) included. */
function namesIn(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

Deno.test("a receiving terminal client prints why a broken upload was discarded, keeps nothing, and the room goes on", async () => {
  await using server = await startServer();
  const dir = await Deno.makeTempDir({ prefix: "stream-discard-" });
  try {
    await using fun = await startTerminalClient(server.port, `${dir}/fun`);
    await joinAs(fun, "Fun");
    // Cool asks for neither ECHO nor STREAM: it would get only the classic frame of a stored file.
    await using cool = await joined(server.port, "Cool");
    const fire = await joined(server.port, "Fire");
    await fun.waitFor("Server: Fire joined the chatroom.");

    // 1. Fire's upload breaks off after 300,000 of 1 MiB; Cool chats in the middle of it.
    const cut = randomBytes(MiB);
    await fire.send(await uploadHeader("cut.bin", cut));
    await fire.send(cut.subarray(0, 300_000));
    await server.waitForLog(/cut\.bin/);
    await cool.send({ payload: "still here" });
    await fun.waitFor(/\[\d\d:\d\d:\d\d\] Cool: still here\n/);
    // Fire has lines it never read, so closing resets the connection: the server may not have
    // read all 300,000 bytes by then, and says how many it got (at most 293 KiB).
    await fire[Symbol.asyncDispose]();
    const why = await fun.waitFor(
      /\[\d\d:\d\d:\d\d\] Fire: \[attachment cut\.bin discarded: Fire's upload of cut\.bin broke off after ([\d.]+) (bytes|KiB) of 1\.0 MiB\.\]\n/,
    );
    const got = Number(why[1]) * (why[2] === "KiB" ? 1024 : 1);
    assert.ok(got <= 293 * 1024, `the server says ${why[1]} ${why[2]} came, more than was sent`);
    assert.doesNotMatch(fun.stdout, /cut\.bin, .*saved/);
    assert.deepEqual(namesIn(`${dir}/fun/downloads`), [], "no file and no temporary file");
    assert.deepEqual(namesIn(server.downloads), [], "nothing stored at the server");
    assert.ok(
      !server.server.room.history.list().some((e) => e.kind === "attachment"),
      "no history record",
    );

    // 2. A second uploader declares a digest its bytes do not have: discarded, with the reason.
    await using sad = await joined(server.port, "Sad");
    const lie = randomBytes(200_000);
    await sad.send(await uploadHeader("lie.bin", lie, await sha256(randomBytes(16))));
    await sad.send(lie);
    await fun.waitFor(/\[\d\d:\d\d:\d\d\] Sad: \[attachment lie\.bin discarded: [^\]]+\]\n/);
    const refused = await sad.next(F.ERROR);
    assert.equal(refused.code, 7, "the uploader is told ATTACHMENT_HASH_MISMATCH");
    assert.deepEqual(namesIn(`${dir}/fun/downloads`), []);

    // 3. The same connection then takes a good upload whole.
    const good = randomBytes(MiB + 5);
    await sad.send(await uploadHeader("good.bin", good));
    await sad.send(good);
    await fun.waitFor(/Sad: \[attachment good\.bin, 1\.0 MiB, saved to downloads\/good\.bin\]\n/);
    assert.deepEqual(await Deno.readFile(`${dir}/fun/downloads/good.bin`), good);
    assert.deepEqual(namesIn(`${dir}/fun/downloads`), ["good.bin"]);

    // Cool, who did not stream, saw no trace of the two broken uploads: only the good one.
    await cool.send({ payload: "bye" });
    const attachments: string[] = [];
    for (;;) {
      const frame = await cool.frame();
      if (frame.flags & F.ATTACHMENT) attachments.push(frame.filename);
      if (frame.flags === 0 && frame.text === "bye") break;
    }
    assert.deepEqual(attachments, ["good.bin"]);
    assert.equal((await quit(fun)).code, 0);
    assert.equal(fun.stderr, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
