/**
 * The GUI with a keyboard and for a screen reader, in Chromium against a
 * real server: join (avatar included), send, upload and quit without a
 * mouse, with a visible focus ring on every stop; every control named; new
 * messages in a live region; text at WCAG AA contrast in light and dark.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { startServer, TestClient, text } from "../support/harness.ts";
import { startGuiClient } from "../support/client_programs.ts";
import { launchBrowser } from "../support/browser.ts";
import { chooseFileWithKey, focusedId, tabTo } from "../support/keyboard.ts";
import { focusOutline, lowContrast, unnamedControls } from "../support/accessibility.ts";
import { makePng } from "../support/png.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";

/** Tabs to `id` and checks that the focus shows: an outline at least 2 px wide. */
async function tabToVisibly(page: Page, id: string, backwards = false): Promise<void> {
  await tabTo(page, id, { backwards });
  const outline = await focusOutline(page);
  assert.ok(outline.style !== "none" && outline.width >= 2, JSON.stringify(outline));
}

const JOIN_SCREEN_TEXT = [
  "#join-screen h1",
  "#server-name",
  "#avatar-hint",
  ".field-label",
  "#join-button",
  "#avatar-choose",
  "#report-refresh",
  "#report-title",
  "#report-summary",
  "#report-list .name",
  "#report-list .addr",
];
const CHAT_SCREEN_TEXT = [
  "#me-name",
  ".message .name",
  ".message .text",
  ".message .time",
  ".message.mine .time",
  ".announcement .text",
  ".announcement .time",
  ".divider",
  ".file-card .file-name",
  ".file-card .file-size",
  ".file-card .download",
  "#members-title",
  "#member-list .name",
  "#member-list .addr",
  "#send-button",
  "#file-choose",
  "#send-file",
  "#quit-button",
  "#message",
];

Deno.test("the GUI works by keyboard alone, names its controls, announces messages and meets AA contrast", async (t) => {
  await using srv = await startServer();
  await using fire = await TestClient.join(srv.port, "Fire");
  fire.say("Hi, who is there?");
  const dir = `${srv.dir}/gui`;
  await using gui = await startGuiClient(srv.port, dir);
  await Deno.writeFile(`${dir}/me.png`, makePng(32, 32, { rgb: [200, 80, 20] }));
  await Deno.writeFile(`${dir}/picture.png`, makePng(50, 30));
  await Deno.writeTextFile(`${dir}/attachments/notes.txt`, "typed by keyboard");
  await using browser = await launchBrowser();
  const page = await browser.open(gui.url);
  await page.getByText("There is 1 active user in the chatroom.").waitFor();

  await t.step("the join screen: its text meets AA, light and dark", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme });
      assert.deepEqual(await lowContrast(page, JOIN_SCREEN_TEXT), [], colorScheme);
    }
    await page.emulateMedia({ colorScheme: "light" });
    assert.deepEqual(await unnamedControls(page), []);
  });

  await t.step("join with an avatar, by keyboard only", async () => {
    assert.equal(await focusedId(page), "username", "the name box has the focus on arrival");
    await tabToVisibly(page, "avatar-choose", true);
    await chooseFileWithKey(page, "Enter", `${dir}/me.png`);
    await page.locator("#avatar-preview img.avatar").waitFor();
    await tabToVisibly(page, "username");
    await page.keyboard.type("Cool");
    await page.keyboard.press("Enter");
    await page.locator("#chat-screen").waitFor({ state: "visible" });
    assert.equal(await focusedId(page), "message", "the message box has the focus once in");
    await fire.next((f) => hasFlag(f, FLAG.AVATAR) && f.username === "Cool");
  });

  await t.step("new messages arrive in a polite live region", async () => {
    const log = page.locator("#messages");
    assert.equal(await log.getAttribute("role"), "log");
    assert.equal(await log.getAttribute("aria-live"), "polite");
    await page.locator("#member-list li", { hasText: "Fire" }).waitFor();
    assert.equal(await log.getAttribute("aria-busy"), null, "not busy once the history is in");
    fire.say("Welcome, Cool");
    await log.locator(".message", { hasText: "Welcome, Cool" }).waitFor();
  });

  await t.step("send a message by keyboard", async () => {
    await page.keyboard.type("Hello from the keyboard");
    await page.keyboard.press("Enter");
    await fire.next((f) => text(f) === "Hello from the keyboard");
  });

  await t.step("upload a picked file by keyboard", async () => {
    await tabToVisibly(page, "file-choose");
    await chooseFileWithKey(page, "Enter", `${dir}/picture.png`);
    assert.equal(await page.inputValue("#file-name"), "picture.png");
    await tabToVisibly(page, "send-file");
    await page.keyboard.press("Enter");
    await fire.next((f) => hasFlag(f, FLAG.ATTACHMENT) && f.filename === "picture.png");
    await page.locator('img.attachment-image[alt="picture.png"]').waitFor();
  });

  await t.step("send a file from attachments/ by keyboard, through the suggestions", async () => {
    await tabToVisibly(page, "file-name", true);
    await page.keyboard.type("note");
    await page.locator('#file-suggestions li[data-name="notes.txt"]').waitFor();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    assert.equal(await page.inputValue("#file-name"), "notes.txt");
    await page.keyboard.press("Enter");
    await fire.next((f) => hasFlag(f, FLAG.ATTACHMENT) && /notes\.txt$/.test(f.filename));
    await page.locator(".file-card pre", { hasText: "typed by keyboard" }).waitFor();
  });

  await t.step(
    "the chat screen: every control named, its text meets AA, light and dark",
    async () => {
      assert.deepEqual(await unnamedControls(page), []);
      for (const colorScheme of ["light", "dark"] as const) {
        await page.emulateMedia({ colorScheme });
        assert.deepEqual(await lowContrast(page, CHAT_SCREEN_TEXT), [], colorScheme);
      }
      await page.emulateMedia({ colorScheme: "light" });
    },
  );

  await t.step("the People button works by keyboard on a narrow screen", async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await tabToVisibly(page, "members-toggle", true);
    await page.keyboard.press("Enter");
    await page.locator("#members").waitFor({ state: "visible" });
    await page.keyboard.press("Escape");
    await page.locator("#members").waitFor({ state: "hidden" });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await t.step("quit by keyboard", async () => {
    await tabToVisibly(page, "quit-button", true);
    await page.keyboard.press("Enter");
    await page.locator("#join-screen").waitFor({ state: "visible" });
    await fire.nextText("Cool left the chatroom.");
    assert.equal(await focusedId(page), "username");
  });
  assert.deepEqual(browser.pageErrors, []);
});
