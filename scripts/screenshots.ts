/**
 * `deno task screenshots`: plays the assignment's section 7 scenario with two
 * GUI users and a terminal user, and saves `docs/gui-join.png`,
 * `docs/gui-chat.png` and `docs/gui-narrow.png`.
 *
 * @module
 */
import { startServer } from "../tests/support/harness.ts";
import {
  joinAs,
  quit,
  startGuiClient,
  startTerminalClient,
} from "../tests/support/client_programs.ts";
import { joinFromPage, launchBrowser, renderedImage, say } from "../tests/support/browser.ts";
import { makePng } from "../tests/support/png.ts";
import type { Page } from "playwright-core";

type Rgb = [number, number, number];
const mix = (a: Rgb, b: Rgb, t: number): Rgb =>
  a.map((v, i) => Math.round(v + (b[i] - v) * t)) as Rgb;

/** A smiley face on a coloured background, `size` pixels square. */
function smiley(size: number, background: Rgb, face: Rgb, glasses = false): Uint8Array {
  const c = size / 2;
  return makePng(size, size, {
    paint: (x, y) => {
      const dx = x - c, dy = y - c, d = Math.hypot(dx, dy);
      if (d > size * 0.4) return background;
      const eye = (ex: number) =>
        Math.hypot(x - ex, y - size * 0.4) < size * (glasses ? 0.1 : 0.05);
      if (eye(size * 0.36) || eye(size * 0.64)) return [30, 30, 40];
      if (glasses && Math.abs(y - size * 0.38) < size * 0.02 && Math.abs(dx) < size * 0.3) {
        return [30, 30, 40];
      }
      const smile = Math.hypot(dx, y - size * 0.5) - size * 0.22;
      if (dy > size * 0.06 && Math.abs(smile) < size * 0.03) return [30, 30, 40];
      return d > size * 0.38 ? mix(face, [40, 40, 40], 0.5) : face;
    },
  });
}

/** A small landscape: sky, sun, mountains and a lake. */
function landscape(width: number, height: number): Uint8Array {
  return makePng(width, height, {
    paint: (x, y) => {
      const t = y / height;
      const ridge = height * (0.55 + 0.12 * Math.sin(x / 37) + 0.06 * Math.sin(x / 13 + 1));
      if (y > height * 0.78) return mix([40, 90, 150], [20, 50, 100], (y / height - 0.78) * 4);
      if (y > ridge) return mix([70, 60, 110], [40, 35, 70], (y - ridge) / (height * 0.3));
      if (Math.hypot(x - width * 0.7, y - height * 0.42) < height * 0.12) return [255, 214, 120];
      return mix([255, 150, 90], [120, 140, 230], 1 - t * 1.4);
    },
  });
}

async function waitForText(page: Page, text: string): Promise<void> {
  await page.locator("#messages").getByText(text, { exact: true }).last().waitFor();
}

await using srv = await startServer();
const dirs = { cool: `${srv.dir}/cool`, fun: `${srv.dir}/fun`, sad: `${srv.dir}/sad` };
await using cool = await startGuiClient(srv.port, dirs.cool);
await using fun = await startGuiClient(srv.port, dirs.fun);
await using sad = await startGuiClient(srv.port, dirs.sad);
await Deno.writeFile(`${dirs.cool}/cool.png`, smiley(128, [70, 110, 230], [255, 210, 60], true));
await Deno.writeFile(`${dirs.fun}/fun.png`, smiley(128, [240, 120, 160], [255, 230, 120]));
await Deno.writeFile(`${dirs.sad}/sad.png`, smiley(128, [90, 170, 150], [250, 240, 200]));
await Deno.writeFile(`${dirs.cool}/attachments/coolfile1.png`, landscape(480, 270));

await using browser = await launchBrowser();
const coolPage = await browser.open(cool.url);
const funPage = await browser.open(fun.url);
await joinFromPage(coolPage, "Cool", { avatarPath: `${dirs.cool}/cool.png` });
await say(coolPage, "Hi");
await joinFromPage(funPage, "Fun", { avatarPath: `${dirs.fun}/fun.png` });
const lines: [Page | "fire", string][] = [
  [funPage, "Hi Cool, are you there?"],
  [coolPage, "Hey Fun, glad that you joined. We can chat now."],
  [funPage, "Let's wait for Fire. He wanted to join."],
  [coolPage, "Ok"],
];
for (const [page, text] of lines) {
  await say(page as Page, text);
  await waitForText(funPage, text);
}
// Fire's terminal client runs in its own folder, with the assignment's file in its attachments/.
await Deno.mkdir(`${srv.dir}/fire/attachments`, { recursive: true });
await Deno.copyFile(
  new URL("../attachments/coolfile1.txt", import.meta.url),
  `${srv.dir}/fire/attachments/coolfile1.txt`,
);
await using fire = await startTerminalClient(srv.port, `${srv.dir}/fire`);
await joinAs(fire, "Fire");
await waitForText(funPage, "Fire joined the chatroom.");

// Step 5: a fourth user is turned away, and sees the report of the three.
const sadPage = await browser.open(sad.url);
await sadPage.locator("#report-list li").nth(2).waitFor();
await sadPage.fill("#username", "Sad");
await sadPage.setInputFiles("#avatar-input", `${dirs.sad}/sad.png`);
await sadPage.click("#join-button");
await sadPage.locator("#join-error:not([hidden])").waitFor();
await sadPage.screenshot({ path: "docs/gui-join.png" });

// Step 6, with the extra credit's image.
const more: [Page | "fire", string][] = [
  ["fire", "Hey guys! I just joined."],
  [coolPage, "What's up Fire?"],
  [funPage, "Hey Fire."],
  ["fire", "Guys, I want to attach a cool file!"],
];
for (const [who, text] of more) {
  if (who === "fire") await fire.type(text);
  else await say(who, text);
  await waitForText(funPage, text);
}
await fire.type("a");
await fire.type("attachments/coolfile1.txt");
await funPage.locator(".file-card pre").waitFor();
await coolPage.fill("#file-name", "coolfile1");
await coolPage.locator('#file-suggestions li[data-name="coolfile1.png"]').click();
await coolPage.click("#send-file");
await renderedImage(funPage, "coolfile1.png");

// Step 7.
for (const [page, text] of [[funPage, "Hahaha"], [coolPage, "That was cool! :)"]] as const) {
  await say(page, text);
  await waitForText(funPage, text);
}
await fire.type("Alright guys. I should leave now. Buy.");
await waitForText(funPage, "Alright guys. I should leave now. Buy.");
await quit(fire);
await waitForText(funPage, "Fire left the chatroom.");
await funPage.locator("#member-list li").nth(1).waitFor();
await funPage.screenshot({ path: "docs/gui-chat.png" });

await funPage.setViewportSize({ width: 390, height: 780 });
await funPage.locator("#messages").evaluate((m) => {
  const box = m as unknown as { scrollTop: number; scrollHeight: number };
  box.scrollTop = box.scrollHeight;
});
await funPage.screenshot({ path: "docs/gui-narrow.png" });
console.log("Saved docs/gui-join.png, docs/gui-chat.png and docs/gui-narrow.png");
