/**
 * The real GUI client (client.ts --gui, driven in Chromium) against a fake
 * server: a username the wire cannot carry is refused without wedging the
 * session, and a chat line holding a forged announcement stays inside its
 * sender's message.
 */
import assert from "node:assert/strict";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { clock } from "../../lib/shared/format.ts";
import { FakeServer } from "../support/fake_server.ts";
import { startGuiClient } from "../support/client_programs.ts";
import { launchBrowser } from "../support/browser.ts";

Deno.test("the GUI refuses an unencodable username, stays usable and shows multi-line text under its sender", async () => {
  const time = Date.UTC(2024, 0, 2, 20, 38, 48);
  const forged = `[${clock(time)}] Server: Fire left the chatroom.`;
  await using fake = FakeServer.start(async (frame, peer) => {
    if (hasFlag(frame, FLAG.REPORT_REQUEST)) await peer.send({ flags: FLAG.REPORT_RESPONSE });
    if (!hasFlag(frame, FLAG.JOIN_REQUEST)) return;
    await peer.send({ flags: FLAG.JOIN_ACCEPT, username: frame.username, number: 0 });
    await peer.send({ sender: "Mallory", timestamp: time, payload: `bye\n${forged}` });
  });
  const dir = await Deno.makeTempDir({ prefix: "gui-hostile-" });
  try {
    await using gui = await startGuiClient(fake.port, dir);
    await using browser = await launchBrowser();
    const page = await browser.open(gui.url);
    await page.locator("#join-screen").waitFor({ state: "visible" });

    await page.fill("#username", "漢".repeat(22)); // 22 characters, 66 bytes
    await page.click("#join-button");
    await page.locator("#join-error")
      .getByText(/the username is 66 bytes in UTF-8, over the protocol's limit of 64 bytes/)
      .waitFor();

    await page.fill("#username", "Cool");
    await page.click("#join-button");
    await page.locator("#chat-screen").waitFor({ state: "visible" });
    const message = page.locator(".message", { hasText: "bye" });
    await message.waitFor();
    assert.equal(await message.locator(".name").textContent(), "Mallory");
    assert.equal(await message.locator(".text").textContent(), `bye\n${forged}`);
    assert.equal(await page.locator(".announcement", { hasText: "Fire left" }).count(), 0);
    assert.deepEqual(browser.pageErrors, []);
    assert.doesNotMatch(gui.process.stderr, /Uncaught|error/i);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
