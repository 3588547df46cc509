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

  await t.step(
    "an avatar that is not an image is refused when chosen, naming the file and why",
    async () => {
      await Deno.writeTextFile(`${srv.dir}/fake.png`, "<svg onload=alert(1)>");
      await page.fill("#username", "Fun");
      await page.setInputFiles("#avatar-input", `${srv.dir}/fake.png`);
      await page.locator("#avatar-error").getByText(
        "The avatar fake.png is not accepted: it is not a PNG, JPEG, GIF or WebP image " +
          "(it starts with bytes 3c 73 76 67).",
      ).waitFor();
      // No broken preview: the generated avatar stays, and nothing spills out of its circle.
      assert.equal(await page.locator("#avatar-preview img").count(), 0);
      assert.equal(await page.locator("#avatar-preview .avatar.generated").textContent(), "FU");
      assert.equal(await page.locator("#avatar-clear").isVisible(), false);
      assert.equal(srv.server.room.members.length, 1, "nothing reached the room");
    },
  );

  await t.step("an avatar over 256 KiB is refused when chosen, with its size", async () => {
    const big = makePng(400, 400, { noise: true });
    assert.ok(big.length > 256 * 1024);
    await Deno.writeFile(`${srv.dir}/big.png`, big);
    await page.setInputFiles("#avatar-input", `${srv.dir}/big.png`);
    await page.locator("#avatar-error")
      .getByText(
        /^The avatar big\.png is not accepted: it is [\d.]+ KiB, over the limit of 256 KiB\.$/,
      )
      .waitFor();
    assert.equal(await page.locator("#avatar-preview img").count(), 0);
  });

  await t.step(
    "an image with the right magic bytes that cannot be decoded is refused",
    async () => {
      const damaged = new Uint8Array([...makePng(20, 20).subarray(0, 16), ...new Uint8Array(64)]);
      await Deno.writeFile(`${srv.dir}/damaged.png`, damaged);
      await page.setInputFiles("#avatar-input", `${srv.dir}/damaged.png`);
      await page.locator("#avatar-error")
        .getByText("The avatar damaged.png cannot be shown: the image is damaged.").waitFor();
      assert.equal(await page.locator("#avatar-preview img").count(), 0);
      assert.equal(await page.locator("#avatar-preview .avatar.generated").textContent(), "FU");
    },
  );

  await t.step("a good avatar chosen next clears the error and is previewed", async () => {
    await page.setInputFiles("#avatar-input", `${srv.dir}/me.png`);
    await page.locator("#avatar-preview img.avatar").waitFor();
    assert.equal(await page.locator("#avatar-error").isVisible(), false);
    await page.click("#avatar-clear");
  });

  await t.step("a reloaded page comes back to the same chat", async () => {
    await joinFromPage(page, "Fun");
    await say(page, "still here?");
    await page.locator(".message .text", { hasText: "still here?" }).waitFor();
    await page.reload();
    await page.locator("#chat-screen").waitFor({ state: "visible" });
    await page.locator(".message .text", { hasText: "still here?" }).waitFor();
    await cool.nextText("still here?");
  });

  assert.deepEqual(browser.pageErrors, []);
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
