/**
 * Times on the GUI's chat screen: an entry from another day shows its date,
 * one from today only its time. The real GUI client, in Chromium, against a
 * fake server that replays a history spanning days.
 */
import assert from "node:assert/strict";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { clock } from "../../lib/shared/format.ts";
import { FakeServer } from "../support/fake_server.ts";
import { startGuiClient } from "../support/client_programs.ts";
import { joinFromPage, launchBrowser } from "../support/browser.ts";

const pad = (n: number) => String(n).padStart(2, "0");

/** `YYYY-MM-DD` of a timestamp in local time (the browser runs in the same zone). */
function day(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

Deno.test("history entries from another day show their date, today's only the time", async () => {
  const longAgo = new Date(2024, 11, 1, 20, 32, 40).getTime(); // local 2024-12-01 20:32:40
  const yesterday = Date.now() - 24 * 3600 * 1000;
  const today = Date.now();
  await using fake = FakeServer.start(async (frame, peer) => {
    if (hasFlag(frame, FLAG.REPORT_REQUEST)) {
      return await peer.send({ flags: FLAG.REPORT_RESPONSE });
    }
    if (!hasFlag(frame, FLAG.JOIN_REQUEST)) return;
    await peer.send({ flags: FLAG.JOIN_ACCEPT, username: frame.username, number: 4 });
    const old = { flags: FLAG.HISTORY, sender: "Fire" };
    await peer.send({ ...old, timestamp: longAgo, payload: "from last December" });
    await peer.send({ ...old, timestamp: yesterday, payload: "from yesterday" });
    await peer.send({
      flags: FLAG.HISTORY | FLAG.NEW_USER,
      username: "Fun",
      sender: "Server",
      timestamp: yesterday,
      payload: "Fun joined the chatroom.",
    });
    await peer.send({ ...old, timestamp: today, payload: "from today" });
    await peer.send({ sender: "Fire", timestamp: today, payload: "live" });
  });
  const dir = await Deno.makeTempDir({ prefix: "gui-dates-" });
  try {
    await using gui = await startGuiClient(fake.port, dir);
    await using browser = await launchBrowser();
    const page = await browser.open(gui.url);
    await joinFromPage(page, "Cool");
    await page.locator(".message .text", { hasText: "live" }).waitFor();
    const timeOf = (text: string) =>
      page.locator(".message", { hasText: text }).locator("time").textContent();
    assert.equal(await timeOf("from last December"), "2024-12-01 20:32:40");
    assert.equal(await timeOf("from yesterday"), `${day(yesterday)} ${clock(yesterday)}`);
    assert.equal(await timeOf("from today"), clock(today));
    assert.equal(await timeOf("live"), clock(today));
    assert.equal(
      await page.locator(".announcement", { hasText: "Fun joined" }).locator("time").textContent(),
      `${day(yesterday)} ${clock(yesterday)}`,
    );
    const datetime = await page.locator(".message", { hasText: "from last December" })
      .locator("time").getAttribute("datetime");
    assert.equal(datetime, new Date(longAgo).toISOString());
    assert.deepEqual(browser.pageErrors, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
