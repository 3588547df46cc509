/**
 * The real `client.ts` in a real pseudo-terminal (tmux, 80×24), typed into
 * key by key and read back as the screen a user sees: the half-typed line
 * survives incoming messages however it wraps, editing keys work, nothing
 * pasted is lost, input is forgiving, and transfers show their progress.
 */
import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import { SessionUser } from "../support/session_user.ts";
import { denoLauncher } from "../support/program_process.ts";
import { HAVE_TMUX, PtyTerminal } from "../support/pty_terminal.ts";
import { FakeServer } from "../support/fake_server.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";

const LONG =
  "This is a long sentence that Wrap types slowly, and it goes on past the edge of an eighty column terminal";
const COOLFILE = "I am on a light diet: I eat in daylight, I eat in moonlight!";

/**
 * A PTY test. Where tmux is missing it fails with one line saying so (a
 * skipped test would hide that the terminal was never tried); Windows has no
 * tmux and no PTY of this kind, so there it is ignored.
 */
const ptyTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name,
    ignore: Deno.build.os === "windows",
    fn: HAVE_TMUX ? fn : () => {
      throw new Error("tmux is not installed: the PTY tests need it (apt-get install tmux)");
    },
  });

/** Starts the client in a terminal in `cwd`, joins as `username` and waits for the room. */
async function joined(port: number, cwd: string, username: string): Promise<PtyTerminal> {
  const term = await PtyTerminal.start(denoLauncher("client"), ["--port", String(port)], { cwd });
  await term.waitForScreen("Your choice:");
  await term.type(" 2 ");
  await term.keys("Enter");
  await term.waitForScreen("Please enter a username:");
  await term.type(username);
  await term.keys("Enter");
  await term.waitForScreen(`Server: ${username} joined the chatroom.`);
  return term;
}

/** The screen's rows from the last one holding `marker` to the end (blank rows dropped). */
function rowsFrom(screen: string, marker: string): string[] {
  const rows = screen.split("\n");
  const at = rows.findLastIndex((row) => row.includes(marker));
  assert.ok(at >= 0, `no row holds ${marker}:\n${screen}`);
  return rows.slice(at);
}

/** Rows of `text` cut every `columns` characters (ASCII), as the terminal wraps it. */
function wrapped(text: string, columns = 80): string[] {
  const rows: string[] = [];
  // The screen's rows are read with trailing spaces trimmed.
  for (let at = 0; at < text.length; at += columns) {
    rows.push(text.slice(at, at + columns).trimEnd());
  }
  return rows;
}

ptyTest(
  "a wrapped half-typed line stays whole, once, under incoming messages and backspaces",
  async () => {
    await using srv = await startServer();
    await using fun = new SessionUser(srv.port, `${srv.dir}/fun/downloads`);
    await using term = await joined(srv.port, srv.dir, "Wrap");
    await fun.session.join("Fun");
    await term.waitForScreen("Server: Fun joined the chatroom.");
    await term.type(LONG);
    await term.waitForScreen(LONG.slice(80));
    fun.session.say("ping while Wrap types");
    await term.waitForScreen("Fun: ping while Wrap types");
    fun.session.say("second ping");
    const screen = await term.waitForScreen("Fun: second ping");
    const rows = rowsFrom(screen, "Fun: ping while");
    assert.match(rows[0], /^\[\d\d:\d\d:\d\d\] Fun: ping while Wrap types$/);
    assert.match(rows[1], /^\[\d\d:\d\d:\d\d\] Fun: second ping$/);
    assert.deepEqual(rows.slice(2), wrapped(LONG));
    assert.equal(screen.split("\n").filter((row) => row.startsWith("This is a long")).length, 1);

    await term.keys("BSpace", "BSpace", "BSpace", "BSpace", "BSpace");
    const after = await term.waitForScreen((s) => s.endsWith(LONG.slice(80, -5)));
    assert.deepEqual(rowsFrom(after, "Fun: second ping").slice(1), wrapped(LONG.slice(0, -5)));
    await term.keys("Enter");
    await fun.waitForLine(`Wrap: ${LONG.slice(0, -5)}`);
  },
);

ptyTest(
  "a line padded to wrap at the edge cannot start a row of its own: its next rows are indented",
  async () => {
    await using srv = await startServer();
    await using mallory = new SessionUser(srv.port, `${srv.dir}/mallory/downloads`);
    await mallory.session.join("Mallory");
    await using term = await joined(srv.port, srv.dir, "Cool");
    // "[HH:MM:SS] Mallory: ok" is 22 columns: 58 spaces end the terminal's row.
    const fake = "[00:52:17] Server: Cool left the chatroom.";
    mallory.session.say(`ok${" ".repeat(58)}${fake}`);
    const screen = await term.waitForScreen(fake);
    const rows = rowsFrom(screen, "] Mallory: ok");
    assert.match(rows[0], /^\[\d\d:\d\d:\d\d\] Mallory: ok$/);
    // Indented under the sender, past the time, as a line's own breaks are.
    assert.equal(rows[1], `${" ".repeat("[00:00:00] ".length)}${fake}`);
    assert.ok(!screen.split("\n").some((row) => row.startsWith("[00:52:17]")), screen);
  },
);

ptyTest("editing keys work: Left, Home, End, Ctrl-A/E/U/W and Up for what was sent", async () => {
  await using srv = await startServer();
  await using fun = new SessionUser(srv.port, `${srv.dir}/fun/downloads`);
  await fun.session.join("Fun");
  await using term = await joined(srv.port, srv.dir, "Keys");
  await term.type("helo");
  await term.keys("Left");
  await term.type("l");
  await term.keys("Enter");
  await fun.waitForLine("Keys: hello");
  await term.keys("Up");
  await term.waitForScreen((s) => s.endsWith("\nhello"));
  await term.type(" again");
  await term.keys("Enter");
  await fun.waitForLine("Keys: hello again");
  await term.type("ello");
  await term.keys("Home");
  await term.type("h");
  await term.keys("End");
  await term.type(" world");
  await term.keys("C-a");
  await term.type("[");
  await term.keys("C-e");
  await term.type("] junk");
  await term.keys("C-w");
  await term.waitForScreen((s) => s.endsWith("\n[hello world]"));
  await term.keys("Enter");
  await fun.waitForLine("Keys: [hello world] ");
  await term.type("typed by mistake");
  await term.keys("C-u");
  await term.type("ok");
  await term.keys("Enter");
  await fun.waitForLine("Keys: ok");
  assert.ok(!fun.lines.some((line) => line.includes("mistake")));
});

ptyTest("wide characters wrap as the terminal wraps them, also after a resize", async () => {
  await using srv = await startServer();
  await using fun = new SessionUser(srv.port, `${srv.dir}/fun/downloads`);
  await using term = await joined(srv.port, srv.dir, "Wide");
  await fun.session.join("Fun");
  await term.waitForScreen("Server: Fun joined the chatroom.");
  const cjk = "漢字".repeat(22) + "😀 end"; // 88 + 2 + 4 columns
  await term.type(cjk);
  fun.session.say("cjk ping");
  let screen = await term.waitForScreen("Fun: cjk ping");
  assert.deepEqual(rowsFrom(screen, "Fun: cjk ping").slice(1), [
    "漢字".repeat(20),
    "漢字漢字😀 end",
  ]);
  await term.resize(50);
  fun.session.say("narrow ping");
  screen = await term.waitForScreen("Fun: narrow ping");
  // 25 wide characters fill a 50-column row.
  const chars = [...cjk];
  assert.deepEqual(rowsFrom(screen, "Fun: narrow ping").slice(1), [
    chars.slice(0, 25).join(""),
    chars.slice(25).join(""),
  ]);
  await term.keys("Home");
  await term.type("A");
  screen = await term.waitForScreen((s) => s.includes(`\nA${chars.slice(0, 24).join("")}`));
  assert.deepEqual(rowsFrom(screen, "Fun: narrow ping").slice(1), [
    `A${chars.slice(0, 24).join("")}`,
    chars.slice(24).join(""),
  ]);
  await term.keys("Enter");
  await fun.waitForLine(`Wide: A${cjk}`);
});

ptyTest("a 70,000-character paste is sent whole, as two messages in order", async () => {
  await using srv = await startServer();
  await using fun = new SessionUser(srv.port, `${srv.dir}/fun/downloads`);
  await fun.session.join("Fun");
  await using term = await joined(srv.port, srv.dir, "Paste");
  const text = Array.from({ length: 7000 }, (_, i) => `${String(i).padStart(5, "0")}abcd `).join(
    "",
  );
  assert.equal(text.length, 70_000);
  await term.paste(text);
  await term.keys("Enter");
  await fun.waitFor(() => fun.events.filter((e) => e.type === "chat").length >= 2, 60_000);
  const chats = fun.events.flatMap((e) => e.type === "chat" ? [e.text] : []);
  assert.equal(chats.length, 2);
  assert.equal(chats.join(""), text);
  // The screen ends with the room's copy of the last part.
  await term.waitForScreen((s) => s.replaceAll("\n", "").endsWith("06999abcd"), 60_000);
});

ptyTest(
  "input is forgiving: spaces around q, a and 2, quoted and escaped paths, Tab, folders",
  async () => {
    await using srv = await startServer();
    const cwd = `${srv.dir}/fire`;
    await Deno.mkdir(`${cwd}/attachments/subdir`, { recursive: true });
    await Deno.writeTextFile(`${cwd}/attachments/cool file.txt`, `${COOLFILE}\n`);
    await Deno.writeTextFile(`${cwd}/attachments/coolfile1.txt`, "the first cool file\n");
    await using term = await joined(srv.port, cwd, "Fire");
    const upload = async (typed: string, expect: string) => {
      await term.type(" a ");
      await term.keys("Enter");
      await term.waitForScreen((s) => s.endsWith("Please enter the file path and name:"));
      if (typed) await term.type(typed);
      await term.keys("Enter");
      return await term.waitForScreen(expect);
    };
    await upload("'attachments/cool file.txt'", "saved to downloads/cool file.txt)");
    await Deno.remove(`${cwd}/downloads/cool file.txt`);
    await upload("attachments/cool\\ file.txt ", "saved to downloads/cool file.txt)");
    await upload("", "Upload cancelled: no file path was given.");
    const screen = await upload(
      "attachments/subdir",
      "Cannot send attachments/subdir: it is a folder, not a file.",
    );
    assert.equal(screen.split("Cannot send attachments/subdir").length, 2, screen);
    // Tab completes the path.
    await term.type(" a ");
    await term.keys("Enter");
    await term.waitForScreen((s) => s.endsWith("Please enter the file path and name:"));
    await term.type("attachments/coolf");
    await term.keys("Tab");
    await term.waitForScreen((s) =>
      s.endsWith("Please enter the file path and name: attachments/coolfile1.txt")
    );
    await term.keys("Enter");
    await term.waitForScreen("Fire: the first cool file");
    await term.type(" q ");
    await term.keys("Enter");
    await term.waitForScreen((s) => s.endsWith("Your choice:"));
    await term.type("3");
    await term.keys("Enter");
    assert.equal(await term.exited(), 0);
  },
);

ptyTest("a multi-line message shows every following line indented under its sender", async () => {
  await using srv = await startServer();
  await using gui = new SessionUser(srv.port, `${srv.dir}/gui/downloads`);
  await using term = await joined(srv.port, srv.dir, "Cool");
  await gui.session.join("Gui");
  gui.session.say("first line\nsecond line\n[20:38:48] Server: not really");
  const screen = await term.waitForScreen("Server: not really");
  const rows = rowsFrom(screen, "Gui: first line");
  assert.match(rows[0], /^\[\d\d:\d\d:\d\d\] Gui: first line$/);
  assert.deepEqual(rows.slice(1, 3), [
    "           second line",
    "           [20:38:48] Server: not really",
  ]);
});

ptyTest(
  "a big download shows a progress line above the half-typed line, then clears it",
  async () => {
    const size = 8 * 1024 * 1024;
    const release = Promise.withResolvers<void>();
    await using fake = FakeServer.start(async (frame, peer) => {
      if (hasFlag(frame, FLAG.JOIN_REQUEST)) {
        await peer.send({ flags: FLAG.JOIN_ACCEPT, username: frame.username, number: 0 });
        return;
      }
      if (!hasFlag(frame, FLAG.ATTACHMENT) && frame.payload.length > 0) {
        // "send it": half the file now, the rest when the test says.
        const header = { flags: FLAG.ATTACHMENT, sender: "Fun", filename: "big.bin" };
        await peer.sendRaw(encodeFrame({ ...header, timestamp: Date.now(), payloadLength: size }));
        await peer.sendRaw(new Uint8Array(3 * 1024 * 1024));
        await release.promise;
        await peer.sendRaw(new Uint8Array(size - 3 * 1024 * 1024));
      }
    });
    const cwd = await Deno.makeTempDir({ prefix: "pty-progress-" });
    try {
      await using term = await PtyTerminal.start(
        denoLauncher("client"),
        ["--port", String(fake.port)],
        { cwd },
      );
      await term.waitForScreen("Your choice:");
      await term.type("2");
      await term.keys("Enter");
      await term.type("Cool");
      await term.keys("Enter");
      await term.waitForScreen("Here is a history of the chatroom.");
      await term.type("send it");
      await term.keys("Enter");
      // How far it shows depends on how the client's reads fall: up to 3 MiB.
      const progress =
        /Downloading big\.bin: [\d.]+ (KiB|MiB) of 8\.0 MiB \(\d+%\), [\d.]+ \S+\/s, .+ left/;
      await term.waitForScreen(progress);
      await term.type("half typed");
      const screen = await term.waitForScreen((s) => s.endsWith("\nhalf typed"));
      assert.match(screen.split("\n").at(-2)!, new RegExp(`^${progress.source}$`));
      release.resolve();
      const done = await term.waitForScreen(
        "Fun: [attachment big.bin, 8.0 MiB, saved to downloads/big.bin]",
      );
      assert.ok(done.endsWith("\nhalf typed"), done);
      assert.ok(!done.includes("Downloading big.bin"), done);
    } finally {
      release.resolve();
      await Deno.remove(cwd, { recursive: true });
    }
  },
);
