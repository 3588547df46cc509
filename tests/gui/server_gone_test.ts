/**
 * The real GUI client, in Chromium, when its chat server shuts down: the
 * conversation stays on screen, the page says what happened (the server's
 * own words included) and offers to reconnect, which works once a server
 * listens on that port again.
 */
import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import { startGuiClient } from "../support/client_programs.ts";
import { joinFromPage, launchBrowser, say } from "../support/browser.ts";
import { focusedId } from "../support/keyboard.ts";
import { lowContrast } from "../support/accessibility.ts";

Deno.test("when the server shuts down the GUI keeps the chat, says why and reconnects", async (t) => {
  await using first = await startServer();
  await using gui = await startGuiClient(first.port, `${first.dir}/gui`);
  await using browser = await launchBrowser();
  const page = await browser.open(gui.url);
  await joinFromPage(page, "Cool");
  await say(page, "before the shutdown");
  await page.locator(".message .text", { hasText: "before the shutdown" }).waitFor();
  const lost = page.locator("#lost");

  await t.step("the conversation stays, with the server's notice and the reason", async () => {
    await first.server.close();
    await lost.waitFor({ state: "visible" });
    assert.equal(await page.locator("#chat-screen").isVisible(), true);
    assert.equal(await page.locator("#join-screen").isVisible(), false);
    assert.equal(
      await page.locator(".message .text", { hasText: "before the shutdown" }).count(),
      1,
    );
    await page.locator(".announcement.notice", { hasText: "The server is shutting down." })
      .waitFor();
    assert.equal(
      await page.locator("#lost-reason").textContent(),
      "The server is shutting down. The server closed the connection.",
    );
    assert.equal(await page.getByText(/Cannot reach the server/).count(), 0);
    const text = ["#lost-title", "#lost-reason", "#reconnect", "#lost-leave"];
    for (const colorScheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme });
      assert.deepEqual(await lowContrast(page, text), [], colorScheme);
    }
  });

  await t.step("nothing can be sent, and Reconnect has the keyboard focus", async () => {
    assert.equal(await page.locator("#message").isDisabled(), true);
    assert.equal(await page.locator("#send-file").isDisabled(), true);
    assert.equal(await page.locator("#quit-button").isVisible(), false);
    assert.equal(await page.locator("#reconnect").textContent(), "Reconnect as Cool");
    assert.equal(await focusedId(page), "reconnect");
  });

  await t.step("Reconnect while no server listens says so and keeps the chat", async () => {
    await page.keyboard.press("Enter");
    await page.locator("#lost-error")
      .getByText(/^Cannot reach the server at localhost:\d+: the connection was refused\./)
      .waitFor();
    assert.equal(await page.locator("#chat-screen").isVisible(), true);
    assert.equal(await page.locator("#reconnect").isDisabled(), false);
  });

  await t.step("a reloaded page still shows the ended conversation", async () => {
    await page.reload();
    await lost.waitFor({ state: "visible" });
    await page.locator(".message .text", { hasText: "before the shutdown" }).waitFor();
    assert.match(await page.locator("#lost-reason").textContent() ?? "", /shutting down/);
  });

  await using second = await startServer({ port: first.port });

  await t.step("Reconnect rejoins under the same name once a server is back", async () => {
    await page.click("#reconnect");
    await lost.waitFor({ state: "hidden" });
    assert.equal(await page.locator("#message").isDisabled(), false);
    await say(page, "back again");
    await page.locator(".message .text", { hasText: "back again" }).waitFor();
    assert.deepEqual(second.server.room.members.map((m) => m.username), ["Cool"]);
  });

  await t.step("Back to the join screen forgets the ended chat, even on reload", async () => {
    await second.server.close();
    await lost.waitFor({ state: "visible" });
    await page.click("#lost-leave");
    await page.locator("#join-screen").waitFor({ state: "visible" });
    assert.equal(await page.inputValue("#username"), "Cool");
    await page.reload();
    await page.locator("#join-screen").waitFor({ state: "visible" });
    assert.equal(await page.locator("#lost").isVisible(), false);
  });

  assert.deepEqual(browser.pageErrors, []);
  const status = await gui.process.stop();
  assert.equal(status.code, 0, gui.process.output);
});
