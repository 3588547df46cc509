/**
 * The real GUI client (client.ts --gui, driven in Chromium) against a fake
 * server that forwards attachments as they arrive (STREAM transfers): a
 * finished transfer shows as the same file card a whole attachment does,
 * and a discarded one as one line with the server's reason, leaving no
 * file behind.
 */
import assert from "node:assert/strict";
import { FLAG, hasFlag, JOIN_OPTION } from "../../lib/shared/wire/flags.ts";
import { FakeServer } from "../support/fake_server.ts";
import { startGuiClient } from "../support/client_programs.ts";
import { launchBrowser } from "../support/browser.ts";
import { streamFrames as frames } from "../support/stream_frames.ts";

Deno.test("the GUI shows a streamed attachment as a file card and a discarded one as a line with its reason", async () => {
  const note = { name: "note.txt", bytes: new TextEncoder().encode("streamed hello\n") };
  const big = { name: "big.bin", bytes: new Uint8Array(50_000).fill(7), sender: "Fire" };
  const reason = "Fire's upload of big.bin broke off after 19.5 KiB of 48.8 KiB.";
  await using fake = FakeServer.start(async (frame, peer) => {
    if (hasFlag(frame, FLAG.REPORT_REQUEST)) await peer.send({ flags: FLAG.REPORT_RESPONSE });
    if (!hasFlag(frame, FLAG.JOIN_REQUEST)) return;
    assert.equal(frame.number, JOIN_OPTION.ECHO | JOIN_OPTION.STREAM);
    await peer.send({ flags: FLAG.JOIN_ACCEPT, username: frame.username, number: 0 });
    await peer.send(frames.begin(1, note));
    await peer.send(frames.begin(2, big));
    await peer.send(frames.data(1, note.bytes.subarray(0, 5)));
    await peer.send(frames.data(2, big.bytes.subarray(0, 20_000)));
    await peer.send(frames.chat("meanwhile"));
    await peer.send(frames.data(1, note.bytes.subarray(5)));
    await peer.send(frames.end(1, note));
    await peer.send(frames.discard(2, reason));
    await peer.send(frames.chat("done"));
  });
  const dir = await Deno.makeTempDir({ prefix: "gui-stream-" });
  try {
    await using gui = await startGuiClient(fake.port, dir);
    await using browser = await launchBrowser();
    const page = await browser.open(gui.url);
    await page.locator("#join-screen").waitFor({ state: "visible" });
    await page.fill("#username", "Cool");
    await page.click("#join-button");
    await page.locator("#chat-screen").waitFor({ state: "visible" });
    await page.locator(".message", { hasText: "done" }).waitFor();

    const card = page.locator(".message", { has: page.locator(".file-card") });
    assert.equal(await card.count(), 1);
    assert.equal(await card.locator(".name").textContent(), "Fun");
    assert.equal(await card.locator(".file-name").textContent(), "note.txt");
    assert.equal(await card.locator("pre").textContent(), "streamed hello\n");
    const line = page.locator(".system-line", { hasText: "discarded" });
    assert.equal(
      await line.textContent(),
      `Fire's attachment big.bin was discarded: ${reason}`,
    );
    // The chat line sent while both were arriving comes before the file card.
    const texts = await page.locator("#messages > *").allTextContents();
    const at = (s: string) => texts.findIndex((t) => t.includes(s));
    assert.ok(at("meanwhile") >= 0 && at("meanwhile") < at("note.txt"), JSON.stringify(texts));

    assert.deepEqual(await Deno.readTextFile(`${dir}/downloads/note.txt`), "streamed hello\n");
    const left: string[] = [];
    for await (const entry of Deno.readDir(`${dir}/downloads`)) left.push(entry.name);
    assert.deepEqual(left.filter((name) => !name.startsWith(".outgoing-")), ["note.txt"]);
    assert.deepEqual(browser.pageErrors, []);
    assert.doesNotMatch(gui.process.stderr, /Uncaught|error/i);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
