import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import { joinAs, quit, startGuiClient, startTerminalClient } from "../support/client_programs.ts";
import {
  joinFromPage,
  launchBrowser,
  quitFromPage,
  renderedImage,
  say,
} from "../support/browser.ts";
import type { PageGlobals, PageImage } from "../support/page_globals.ts";
import { makePng } from "../support/png.ts";
import { formatBytes } from "../../lib/shared/format.ts";

/** The avatar `<img>` beside the latest message of `sender`, as the page sees it. */
function avatarBeside(sender: string) {
  const doc = (globalThis as unknown as PageGlobals).document;
  const rows = Array.from(doc.querySelectorAll(".message"))
    .filter((row) => row.dataset.sender === sender);
  const avatar = rows.at(-1)?.querySelector(".avatar") as PageImage | null | undefined;
  if (!avatar) return null;
  return {
    tag: avatar.tagName,
    generated: avatar.className.includes("generated"),
    text: avatar.textContent,
    width: avatar.tagName === "IMG" && avatar.complete ? avatar.naturalWidth : 0,
  };
}

/**
 * Width of the image avatar beside the latest message of `sender` once it has loaded, else 0
 * (run in the page; it sees none of this module's helpers).
 */
function loadedAvatarWidth(sender: string) {
  const doc = (globalThis as unknown as PageGlobals).document;
  const rows = Array.from(doc.querySelectorAll(".message"))
    .filter((row) => row.dataset.sender === sender);
  const img = rows.at(-1)?.querySelector("img.avatar") as PageImage | null | undefined;
  return img && img.complete && img.naturalWidth > 0 ? img.naturalWidth : 0;
}

Deno.test("two GUI users and a terminal user share a room: text, images and avatars", async (t) => {
  await using srv = await startServer();
  const dirs = { cool: `${srv.dir}/cool`, fun: `${srv.dir}/fun`, fire: `${srv.dir}/fire` };
  await using cool = await startGuiClient(srv.port, dirs.cool);
  await using fun = await startGuiClient(srv.port, dirs.fun);
  const coolPng = makePng(120, 80, { rgb: [230, 120, 20] });
  const funPng = makePng(64, 40, { rgb: [30, 160, 90] });
  await Deno.writeFile(`${dirs.cool}/attachments/coolfile1.png`, coolPng);
  await Deno.writeFile(`${dirs.cool}/attachments/notes.txt`, new TextEncoder().encode("hi"));
  await Deno.writeFile(`${dirs.fun}/sunset.png`, funPng);
  await Deno.writeFile(`${dirs.cool}/cool-avatar.png`, makePng(48, 48, { rgb: [220, 30, 60] }));
  await Deno.writeFile(`${dirs.fun}/fun-avatar.png`, makePng(40, 40, { rgb: [30, 60, 220] }));

  await using browser = await launchBrowser();
  const coolPage = await browser.open(cool.url);
  const funPage = await browser.open(fun.url);
  await joinFromPage(coolPage, "Cool", { avatarPath: `${dirs.cool}/cool-avatar.png` });
  await joinFromPage(funPage, "Fun", { avatarPath: `${dirs.fun}/fun-avatar.png` });
  await using fire = await startTerminalClient(srv.port, dirs.fire);
  await joinAs(fire, "Fire");
  await funPage.getByText("Fire joined the chatroom.").waitFor();

  await t.step("a message containing <script> shows as text and runs nothing", async () => {
    const evil = `<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> hi`;
    await say(coolPage, evil);
    const line = funPage.locator('.message[data-sender="Cool"] .text', { hasText: "hi" });
    await line.waitFor();
    assert.equal(await line.textContent(), evil);
    for (const page of [coolPage, funPage]) {
      assert.equal(await page.locator("#messages script").count(), 0);
      assert.equal(
        await page.locator("#messages img:not(.avatar):not(.attachment-image)").count(),
        0,
      );
      assert.equal(
        await page.evaluate(() => (globalThis as unknown as PageGlobals).pwned),
        undefined,
      );
    }
    await fire.waitFor(/\] Cool: <script>window\.pwned = 1<\/script>/);
  });

  await t.step(
    "a PNG chosen in the attachments box renders in the other GUI and lands byte-identical in every downloads/",
    async () => {
      await coolPage.fill("#file-name", "cool");
      await coolPage.locator('#file-suggestions li[data-name="coolfile1.png"]').click();
      assert.equal(await coolPage.inputValue("#file-name"), "coolfile1.png");
      await coolPage.click("#send-file");
      assert.deepEqual(await renderedImage(funPage, "coolfile1.png"), { width: 120, height: 80 });
      assert.deepEqual(await renderedImage(coolPage, "coolfile1.png"), { width: 120, height: 80 });
      await fire.waitFor(
        /\] Cool: \[attachment coolfile1\.png, 1?[\d.]+ (bytes|KiB), saved to .*coolfile1\.png\]/,
      );
      for (const folder of [srv.downloads, ...Object.values(dirs).map((d) => `${d}/downloads`)]) {
        assert.deepEqual(await Deno.readFile(`${folder}/coolfile1.png`), coolPng, folder);
      }
    },
  );

  await t.step(
    "an image message says its name and size, and its Download link saves the same bytes",
    async () => {
      const card = funPage.locator(".image-card", {
        has: funPage.locator('img[alt="coolfile1.png"]'),
      });
      assert.equal(await card.locator("figcaption .file-name").textContent(), "coolfile1.png");
      assert.equal(await card.locator(".file-size").textContent(), formatBytes(coolPng.length));
      const link = card.getByRole("link", { name: "Download coolfile1.png" });
      assert.equal(await link.textContent(), "Download");
      assert.equal(await link.getAttribute("download"), "coolfile1.png");
      const [download] = await Promise.all([funPage.waitForEvent("download"), link.click()]);
      assert.equal(download.suggestedFilename(), "coolfile1.png");
      assert.deepEqual(await Deno.readFile(await download.path()), coolPng);
    },
  );

  await t.step("a PNG picked with the file input is sent through the client process", async () => {
    await funPage.setInputFiles("#file-input", `${dirs.fun}/sunset.png`);
    assert.equal(await funPage.inputValue("#file-name"), "sunset.png");
    await funPage.click("#send-file");
    assert.deepEqual(await renderedImage(coolPage, "sunset.png"), { width: 64, height: 40 });
    // Fun's own copy: its page shows the image once its client has saved the file.
    assert.deepEqual(await renderedImage(funPage, "sunset.png"), { width: 64, height: 40 });
    await fire.waitFor(/\] Fun: \[attachment sunset\.png/);
    for (const folder of [srv.downloads, ...Object.values(dirs).map((d) => `${d}/downloads`)]) {
      assert.deepEqual(await Deno.readFile(`${folder}/sunset.png`), funPng, folder);
    }
  });

  await t.step(
    "avatars render beside messages: uploaded ones as images, generated ones for the rest",
    async () => {
      await say(funPage, "Hey Fire.");
      await fire.type("What's up?");
      await coolPage.locator('.message[data-sender="Fire"]').waitFor();
      await coolPage.locator('.message[data-sender="Fun"]').last().waitFor();
      const funAvatar = await coolPage.waitForFunction(loadedAvatarWidth, "Fun");
      assert.equal(await funAvatar.jsonValue(), 40, "Fun's own 40×40 avatar");
      const fireAvatar = await coolPage.evaluate(avatarBeside, "Fire");
      assert.deepEqual(fireAvatar, { tag: "DIV", generated: true, text: "FI", width: 0 });
      const ownAvatar = await coolPage.locator("#me-avatar img.avatar")
        .evaluate((img) => (img as unknown as PageImage).naturalWidth);
      assert.equal(ownAvatar, 48);
    },
  );

  await t.step(
    "Quit returns to the join screen, and a later join sees the images in the history",
    async () => {
      await quitFromPage(coolPage, "Cool", [funPage]);
      await fire.waitFor(/\] Server: Cool left the chatroom\./);
      await joinFromPage(coolPage, "Cool");
      assert.deepEqual(await renderedImage(coolPage, "coolfile1.png"), { width: 120, height: 80 });
      assert.deepEqual(await renderedImage(coolPage, "sunset.png"), { width: 64, height: 40 });
      await coolPage.locator(".divider", { hasText: "History above" }).waitFor();
    },
  );

  await t.step(
    "a user who has left still has their avatar beside their lines in a later joiner's history",
    async () => {
      await quitFromPage(funPage, "Fun", [coolPage]);
      await quitFromPage(coolPage, "Cool");
      await joinFromPage(coolPage, "Cool");
      await coolPage.locator(".divider", { hasText: "History above" }).last().waitFor();
      const funAvatar = await coolPage.waitForFunction(loadedAvatarWidth, "Fun");
      assert.equal(await funAvatar.jsonValue(), 40, "Fun's 40×40 avatar, not a generated one");
    },
  );

  await t.step(
    "someone who joins under that name without an avatar gets a generated one from then on",
    async () => {
      // A fresh page, so no avatar is left picked in the join form.
      const newFunPage = await browser.open(fun.url);
      await joinFromPage(newFunPage, "Fun");
      await say(newFunPage, "new Fun here");
      await coolPage.locator('.message[data-sender="Fun"]', { hasText: "new Fun here" }).waitFor();
      await coolPage.waitForFunction(() => {
        const doc = (globalThis as unknown as PageGlobals).document;
        const rows = Array.from(doc.querySelectorAll(".message"))
          .filter((row) => row.dataset.sender === "Fun");
        return rows.at(-1)?.querySelector(".avatar.generated") !== null;
      });
      assert.deepEqual(await coolPage.evaluate(avatarBeside, "Fun"), {
        tag: "DIV",
        generated: true,
        text: "FU",
        width: 0,
      });
    },
  );

  assert.deepEqual(browser.pageErrors, []);
  const fireStatus = await quit(fire);
  assert.equal(fireStatus.code, 0, fire.output);
  for (const gui of [cool, fun]) {
    const status = await gui.process.stop();
    assert.equal(status.code, 0, gui.process.output);
  }
});
