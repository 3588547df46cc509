import assert from "node:assert/strict";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { GuiController } from "../../lib/gui/gui_controller.ts";
import type { ToPage } from "../../lib/gui/page_protocol.ts";
import { startServer, TestClient } from "../support/harness.ts";
import { Recorder } from "../support/recorder.ts";
import { makePng } from "../support/png.ts";

/** A page that records what it is told. */
function fakePage() {
  const told = new Recorder<ToPage>();
  const link = { send: told.push };
  const seen = (what: string, match: (m: ToPage) => boolean) =>
    told.some(match, `the page was told ${what}`);
  return { got: told.items, link, seen };
}

async function controllerIn(port: number, dir: string) {
  await Deno.mkdir(`${dir}/attachments`, { recursive: true });
  const controller = new GuiController({
    hostname: "127.0.0.1",
    port,
    downloadsDir: `${dir}/downloads`,
    attachmentsDir: `${dir}/attachments`,
  });
  return { controller, [Symbol.asyncDispose]: () => controller.close() };
}

Deno.test("GuiController drops a departed user's avatar when someone else takes the name without one", async () => {
  await using srv = await startServer();
  await using gui = await controllerIn(srv.port, `${srv.dir}/gui`);
  const page = fakePage();
  gui.controller.connect(page.link);
  await gui.controller.command(page.link, { t: "join", username: "Fun" });
  await page.seen("the join succeeded", (m) => m.t === "join-result" && m.ok);

  await using cool = await TestClient.connect(srv.port);
  cool.send({
    flags: FLAG.JOIN_REQUEST,
    username: "Cool",
    filename: "c.png",
    payload: makePng(9, 9),
  });
  await cool.next((f) => hasFlag(f, FLAG.JOIN_ACCEPT));
  await page.seen("Cool's avatar", (m) => m.t === "avatar" && m.key === "cool" && m.url !== null);
  assert.equal(gui.controller.avatar("cool")?.mime, "image/png");

  cool.send({ flags: FLAG.QUIT_REQUEST });
  await page.seen(
    "Cool left",
    (m) => m.t === "entry" && m.entry.text === "Cool left the chatroom.",
  );
  assert.ok(gui.controller.avatar("cool"), "kept while Cool's messages are on screen");

  await using _newCool = await TestClient.join(srv.port, "COOL");
  await page.seen(
    "COOL joined",
    (m) => m.t === "entry" && m.entry.text === "COOL joined the chatroom.",
  );
  await page.seen(
    "the old avatar is gone",
    (m) => m.t === "avatar" && m.key === "cool" && m.url === null,
  );
  assert.equal(gui.controller.avatar("cool"), undefined);
});

Deno.test("GuiController refuses page commands it must not carry out, and says why", async (t) => {
  await using srv = await startServer();
  const dir = `${srv.dir}/gui`;
  await using gui = await controllerIn(srv.port, dir);
  await Deno.writeTextFile(`${srv.dir}/secret.txt`, "secret");
  const page = fakePage();
  gui.controller.connect(page.link);
  const problem = (text: string) => (m: ToPage) => m.t === "problem" && m.text === text;

  await t.step("chatting before joining", async () => {
    await gui.controller.command(page.link, { t: "say", text: "hi" });
    await page.seen("to join first", problem("You are not in the chatroom; join it first."));
  });
  await t.step("a file outside attachments/", async () => {
    await gui.controller.command(page.link, { t: "join", username: "Fun" });
    await gui.controller.command(page.link, { t: "send-file", name: "../secret.txt" });
    await page.seen(
      "there is no such file",
      problem(`Cannot send ../secret.txt: there is no such file in ${dir}/attachments/`),
    );
    assert.deepEqual(
      [...Deno.readDirSync(srv.downloads)].filter((e) => !e.name.startsWith(".")),
      [],
    );
  });
  await t.step("an avatar that is not an image never leaves the process", async () => {
    await gui.controller.command(page.link, { t: "quit" });
    await gui.controller.command(page.link, {
      t: "join",
      username: "Cool",
      avatar: { name: "x.png", data: btoa("GIF88a not really") },
    });
    await page.seen("the avatar is refused", (m) =>
      m.t === "join-result" && !m.ok &&
      m.text.startsWith(
        "The avatar x.png is not accepted: it is not a PNG, JPEG, GIF or WebP image",
      ));
    assert.equal(srv.server.room.members.length, 0);
  });
});
