/**
 * Who is in the room, as the GUI shows it in Chromium: never a departed
 * user's avatar beside a namesake, and a member list that a phone-width
 * screen can open.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { startServer, TestClient } from "../support/harness.ts";
import { startGuiClient } from "../support/client_programs.ts";
import { joinFromPage, launchBrowser, quitFromPage } from "../support/browser.ts";
import { focusedId } from "../support/keyboard.ts";
import type { PageImage } from "../support/page_globals.ts";
import { makePng } from "../support/png.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";

/** Joins as `username` over the protocol, sending `avatar` (PNG bytes) with the request. */
async function joinWithAvatar(port: number, username: string, avatar: Uint8Array) {
  const client = await TestClient.connect(port);
  client.send({
    flags: FLAG.JOIN_REQUEST,
    username,
    number: 0,
    filename: `${username}.png`,
    payload: avatar,
  });
  const reply = await client.next((f) => (f.flags & (FLAG.JOIN_ACCEPT | FLAG.JOIN_REJECT)) !== 0);
  assert.ok(hasFlag(reply, FLAG.JOIN_ACCEPT), `join as ${username}`);
  return client;
}

/**
 * What `list` (a `ul` id) shows beside `name`: "generated", or the width of
 * the image once the browser decoded it.
 */
async function avatarIn(page: Page, list: string, name: string): Promise<string | number> {
  const item = page.locator(`#${list} li`, { hasText: name });
  await item.waitFor();
  const avatar = item.locator(".avatar");
  if (await avatar.evaluate((node) => node.tagName) !== "IMG") return "generated";
  const width = await page.waitForFunction(
    (img) => (img as unknown as PageImage).naturalWidth || 0,
    await avatar.elementHandle(),
  );
  return await width.jsonValue() as number;
}

Deno.test("a departed user's avatar never shows beside a later user of the same name", async (t) => {
  await using srv = await startServer();
  await using gui = await startGuiClient(srv.port, `${srv.dir}/gui`);
  await using browser = await launchBrowser();
  const page = await browser.open(gui.url);
  await joinFromPage(page, "Fun");

  await t.step("Cool joins with avatar A, which the member list shows", async () => {
    await using coolA = await joinWithAvatar(
      srv.port,
      "Cool",
      makePng(30, 30, { rgb: [200, 0, 0] }),
    );
    await page.locator("#member-list li", { hasText: "Cool" }).waitFor();
    assert.equal(await avatarIn(page, "member-list", "Cool"), 30);
    await coolA.close();
    await page.getByText("Cool left the chatroom.").waitFor();
  });

  // The page leaves before the new Cool comes: it never sees that Cool join.
  await quitFromPage(page, "Fun");
  await page.getByText("There are no active users in the chatroom.").or(
    page.getByText("There are 0 active users in the chatroom."),
  ).waitFor();
  await using coolNone = await TestClient.join(srv.port, "Cool");

  await t.step("on the join screen, the new Cool (no avatar) has the generated one", async () => {
    await page.click("#report-refresh");
    await page.getByText("There is 1 active user in the chatroom.").waitFor();
    assert.equal(await avatarIn(page, "report-list", "Cool"), "generated");
    await page.reload();
    await page.getByText("There is 1 active user in the chatroom.").waitFor();
    assert.equal(await avatarIn(page, "report-list", "Cool"), "generated");
  });

  await t.step("back in the room, the member list agrees", async () => {
    await joinFromPage(page, "Fun");
    await page.locator("#member-list li", { hasText: "Fun" }).waitFor();
    assert.equal(await avatarIn(page, "member-list", "Cool"), "generated");
    assert.equal(await page.locator("#me-avatar .avatar.generated").count(), 1);
  });

  await t.step("a Cool who joins with avatar B is shown with B", async () => {
    await coolNone.close();
    await page.locator("#member-list li", { hasText: "Cool" }).waitFor({ state: "detached" });
    await using coolB = await joinWithAvatar(
      srv.port,
      "Cool",
      makePng(24, 24, { rgb: [0, 0, 200] }),
    );
    await page.locator("#member-list li", { hasText: "Cool" }).locator("img.avatar").waitFor();
    assert.equal(await avatarIn(page, "member-list", "Cool"), 24);
    await coolB.close();
  });
  assert.deepEqual(browser.pageErrors, []);
});

Deno.test("on a phone-width screen the member list opens from the People button", async (t) => {
  await using srv = await startServer();
  await using _cool = await TestClient.join(srv.port, "Cool");
  await using gui = await startGuiClient(srv.port, `${srv.dir}/gui`);
  await using browser = await launchBrowser();
  const page = await browser.open(gui.url, { width: 390, height: 800 });
  await joinFromPage(page, "Fun");
  const toggle = page.locator("#members-toggle");
  const members = page.locator("#members");

  await t.step("the list is closed, and the button says how many are in the room", async () => {
    await toggle.getByText("(2)").waitFor();
    assert.equal(await toggle.textContent(), "People (2)");
    assert.equal(await members.isVisible(), false);
    assert.equal(await toggle.getAttribute("aria-expanded"), "false");
  });

  await t.step("the button opens it within the screen", async () => {
    await toggle.click();
    await members.waitFor({ state: "visible" });
    assert.equal(await toggle.getAttribute("aria-expanded"), "true");
    assert.deepEqual(await page.locator("#member-list .name").allTextContents(), ["Cool", "Fun"]);
    const box = (await members.boundingBox())!;
    assert.ok(box.x >= 0 && box.x + box.width <= 390, JSON.stringify(box));
  });

  await t.step("Escape closes it and gives the focus back to the button", async () => {
    await page.keyboard.press("Escape");
    await members.waitFor({ state: "hidden" });
    assert.equal(await focusedId(page), "members-toggle");
    assert.equal(await toggle.getAttribute("aria-expanded"), "false");
  });

  await t.step("on a wide screen the list is always shown and the button is not", async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await members.waitFor({ state: "visible" });
    assert.equal(await toggle.isVisible(), false);
  });
  assert.deepEqual(browser.pageErrors, []);
});
