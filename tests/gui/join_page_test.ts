import assert from "node:assert/strict";
import { startServer, TestClient } from "../support/harness.ts";
import { startGuiClient } from "../support/client_programs.ts";
import { joinFromPage, launchBrowser, say } from "../support/browser.ts";
import { makePng } from "../support/png.ts";

Deno.test("the join screen reports the room, previews avatars and shows why a join is refused", async (t) => {
  await using srv = await startServer();
  await using cool = await TestClient.join(srv.port, "Cool");
  await using gui = await startGuiClient(srv.port, `${srv.dir}/gui`);
  await using browser = await launchBrowser();
  const page = await browser.open(gui.url, { width: 390, height: 800 });

  await t.step("the report of active users is shown on arrival", async () => {
    await page.getByText("There is 1 active user in the chatroom.").waitFor();
    assert.equal(await page.locator("#report-list li .name").textContent(), "Cool");
    assert.match(
      await page.locator("#report-list li .addr").textContent() ?? "",
      /^IP: 127\.0\.0\.1 and port: \d+$/,
    );
  });

  await t.step("the generated avatar follows the typed name until an image is chosen", async () => {
    await page.fill("#username", "fun times");
    assert.equal(await page.locator("#avatar-preview .avatar.generated").textContent(), "FT");
    await Deno.writeFile(`${srv.dir}/me.png`, makePng(20, 20));
    await page.setInputFiles("#avatar-input", `${srv.dir}/me.png`);
    await page.locator("#avatar-preview img.avatar").waitFor();
    await page.click("#avatar-clear");
    assert.equal(await page.locator("#avatar-preview .avatar.generated").textContent(), "FT");
  });

  await t.step("a name in use gets the assignment's reject text", async () => {
    await page.fill("#username", "cool");
    await page.click("#join-button");
    await page.getByText(
      "The server rejects the join request. Another user is using this username.",
    )
      .waitFor();
  });

  await t.step("an avatar that is not an image is refused, naming the file", async () => {
    await Deno.writeTextFile(`${srv.dir}/fake.png`, "<svg onload=alert(1)>");
    await joinAttempt("Fun", `${srv.dir}/fake.png`);
    await page.getByText(
      /^The avatar fake\.png is not accepted: it is not a PNG, JPEG, GIF or WebP image/,
    )
      .waitFor();
    assert.equal(srv.server.room.members.length, 1, "nothing reached the room");
  });

  await t.step("a reloaded page comes back to the same chat", async () => {
    await page.click("#avatar-clear");
    await joinFromPage(page, "Fun");
    await say(page, "still here?");
    await page.locator(".message .text", { hasText: "still here?" }).waitFor();
    await page.reload();
    await page.locator("#chat-screen").waitFor({ state: "visible" });
    await page.locator(".message .text", { hasText: "still here?" }).waitFor();
    await cool.nextText("still here?");
  });

  assert.deepEqual(browser.pageErrors, []);

  async function joinAttempt(name: string, avatarPath: string) {
    await page.setInputFiles("#avatar-input", avatarPath);
    await page.fill("#username", name);
    await page.click("#join-button");
  }
});

Deno.test("the GUI says so when the chat server cannot be reached", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = listener.addr.port;
  listener.close();
  const dir = await Deno.makeTempDir({ prefix: "chatroom-test-" });
  try {
    await using gui = await startGuiClient(deadPort, dir);
    await using browser = await launchBrowser();
    const page = await browser.open(gui.url);
    const error = page.locator("#join-error");
    await error.getByText(/^Cannot reach the server at localhost:\d+: the connection was refused\./)
      .waitFor();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
