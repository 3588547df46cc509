/**
 * The real `server.ts` as a subprocess with its SQLite history: what
 * survives `kill -9`, what a clean stop does to transfers under way, and how
 * it refuses a data folder it cannot or must not use.
 */
import assert from "node:assert/strict";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { type Frame } from "../../lib/shared/wire/frame.ts";
import { TestClient, text } from "../support/harness.ts";
import { denoLauncher, ProgramProcess } from "../support/program_process.ts";

/** Read and write anywhere: to reach the folder errors Deno's own permission check would hide. */
const BROAD = ["--allow-net", "--allow-read", "--allow-write"];

async function startServerProcess(cwd: string, args: string[] = []) {
  const server = ProgramProcess.start(
    denoLauncher("server"),
    ["--host", "127.0.0.1", "--port", "0", ...args],
    { cwd },
  );
  const [, port] = await server.waitFor(/Server listening on 127\.0\.0\.1:(\d+)/);
  return { server, port: Number(port) };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-durable-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Joins as `name` and collects the history replayed to it. */
async function joinAndReadHistory(port: number, name: string) {
  const user = await TestClient.connect(port);
  user.send({ flags: FLAG.JOIN_REQUEST, username: name });
  const accept = await user.next((f) => hasFlag(f, FLAG.JOIN_ACCEPT));
  const history: Frame[] = [];
  for (let i = 0; i < accept.number; i++) {
    history.push(await user.next((f) => hasFlag(f, FLAG.HISTORY)));
  }
  return { user, history };
}

const line = (f: Frame) =>
  `${f.sender}: ${hasFlag(f, FLAG.ATTACHMENT) ? `[${f.filename}]` : text(f)}`;

/** True if this process may write in a folder whose mode says read-only (root may). */
async function writesThroughReadOnly(): Promise<boolean> {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-ro-" });
  try {
    await Deno.chmod(dir, 0o555);
    await Deno.writeTextFile(`${dir}/probe`, "");
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.PermissionDenied) return false;
    throw error;
  } finally {
    await Deno.chmod(dir, 0o755);
    await Deno.remove(dir, { recursive: true });
  }
}

async function listDir(path: string): Promise<string[]> {
  const names = [];
  for await (const e of Deno.readDir(path)) names.push(e.name);
  return names.sort();
}

Deno.test("kill -9 right after the echo loses nothing: the history holds every line, in order, with its time", async () => {
  await withTempDir(async (cwd) => {
    const first = await startServerProcess(cwd);
    const seen: Frame[] = [];
    {
      await using _server = first.server;
      await using cool = await TestClient.join(first.port, "Cool");
      seen.push(await cool.nextText("Cool joined the chatroom."));
      await Deno.writeTextFile(`${cwd}/note.txt`, "kept across the crash\n");
      await cool.upload(`${cwd}/note.txt`, "note.txt");
      seen.push(await cool.next((f) => hasFlag(f, FLAG.ATTACHMENT)));
      for (let i = 1; i <= 20; i++) cool.say(`line ${i}`);
      for (let i = 1; i <= 20; i++) seen.push(await cool.nextText(`line ${i}`));
      // The last line has been echoed: it was acknowledged. Now pull the plug.
      first.server.kill("SIGKILL");
      const status = await first.server.exited();
      assert.equal(status.success, false);
      await cool.closed;
    }
    const second = await startServerProcess(cwd);
    await using _second = second.server;
    assert.match(second.server.stdout, /History: chatroom\.db, 22 entries/);
    const { user: fun, history } = await joinAndReadHistory(second.port, "Fun");
    await using _fun = fun;
    assert.deepEqual(history.map(line), seen.map(line));
    assert.deepEqual(history.map((f) => f.timestamp), seen.map((f) => f.timestamp));
    assert.equal(text(history[1]), "kept across the crash\n");
    fun.say("after the crash");
    await fun.nextText("after the crash");
  });
});

/** Windows cannot send a child SIGTERM (Deno's kill terminates it outright): no clean stop to test. */
const NO_SIGTERM = Deno.build.os === "windows";

Deno.test({
  name:
    "SIGTERM during an upload: announced, upload aborted with no file left, history closed, exit 0",
  ignore: NO_SIGTERM,
}, async () => {
  await withTempDir(async (cwd) => {
    const { server, port } = await startServerProcess(cwd);
    await using _server = server;
    await using cool = await TestClient.join(port, "Cool");
    await using fun = await TestClient.join(port, "Fun");
    const frame = encodeFrame({
      flags: FLAG.ATTACHMENT,
      filename: "big.bin",
      sha256: new Uint8Array(32),
      payload: new Uint8Array(2_000_000).fill(1),
    });
    await cool.sendRaw(frame.subarray(0, 700_000));
    await server.waitFor("Receiving attachment big.bin");
    server.kill("SIGTERM");
    for (const user of [cool, fun]) {
      assert.equal((await user.nextText("The server is shutting down.")).flags, FLAG.NOTICE);
    }
    assert.equal((await server.exited()).code, 0);
    await cool.closed;
    await fun.closed;
    assert.match(
      server.stdout,
      /Upload of big\.bin from Cool aborted by the shutdown; nothing stored/,
    );
    assert.match(server.stdout, /History closed: chatroom\.db\n$/);
    assert.deepEqual(await listDir(`${cwd}/downloads`), [], "no partial or temporary file");
    assert.deepEqual((await listDir(cwd)).filter((n) => n.startsWith("chatroom")), [
      "chatroom.db",
    ], "the WAL was checkpointed into the file");

    const again = await startServerProcess(cwd);
    await using _again = again.server;
    const { user, history } = await joinAndReadHistory(again.port, "Fire");
    await using _user = user;
    const lines = history.map(line);
    assert.deepEqual(lines.slice(0, 3), [
      "Server: Cool joined the chatroom.",
      "Server: Fun joined the chatroom.",
      "Server: The server is shutting down.",
    ]);
    // Both left as their connections were closed, in whichever order they went.
    assert.deepEqual(lines.slice(3).sort(), [
      "Server: Cool left the chatroom.",
      "Server: Fun left the chatroom.",
    ]);
    assert.ok(!history.some((f) => hasFlag(f, FLAG.ATTACHMENT)));
  });
});

Deno.test({
  name: "an attachment whose file vanished is reported at startup and replaced by a notice",
  ignore: NO_SIGTERM,
}, async () => {
  await withTempDir(async (cwd) => {
    const first = await startServerProcess(cwd);
    {
      await using _server = first.server;
      await using cool = await TestClient.join(first.port, "Cool");
      await Deno.writeTextFile(`${cwd}/a.txt`, "soon gone");
      await cool.upload(`${cwd}/a.txt`, "a.txt");
      await cool.next((f) => hasFlag(f, FLAG.ATTACHMENT));
      cool.say("after the file");
      await cool.nextText("after the file");
      first.server.kill("SIGTERM");
      assert.equal((await first.server.exited()).code, 0);
    }
    await Deno.remove(`${cwd}/downloads/a.txt`);
    const second = await startServerProcess(cwd);
    await using _second = second.server;
    assert.match(
      second.server.stdout,
      /History entry #2 \(attachment "a\.txt" from Cool\) points at downloads\/a\.txt, but it is missing/,
    );
    const { user, history } = await joinAndReadHistory(second.port, "Fun");
    await using _user = user;
    assert.deepEqual(history.map(line).slice(0, 3), [
      "Server: Cool joined the chatroom.",
      "Server: Cool's attachment a.txt is no longer available on the server.",
      "Cool: after the file",
    ]);
    user.say("the room works");
    await user.nextText("the room works");
  });
});

Deno.test("a history file the server must not touch: one line, exit 1, the file as it was", async (t) => {
  const cases: [string, (cwd: string) => Promise<void>, RegExp][] = [
    [
      "random bytes",
      (cwd) => Deno.writeFile(`${cwd}/chatroom.db`, new Uint8Array(4096).fill(0x5a)),
      /^server: Cannot use the history chatroom\.db: file is not a database \(move the file aside or restore a backup, then start again\)\n$/,
    ],
    [
      "a folder named chatroom.db",
      (cwd) => Deno.mkdir(`${cwd}/chatroom.db`),
      /^server: Cannot open the history chatroom\.db: unable to open database file/,
    ],
  ];
  for (const [name, make, message] of cases) {
    await t.step(name, async () => {
      await withTempDir(async (cwd) => {
        await make(cwd);
        const before = await Deno.stat(`${cwd}/chatroom.db`);
        for (let run = 1; run <= 2; run++) {
          // Twice: a supervisor restarting it gets the same line and no damage.
          await using server = ProgramProcess.start(denoLauncher("server"), ["--port", "0"], {
            cwd,
          });
          assert.equal((await server.exited()).code, 1);
          assert.match(server.stderr, message);
          assert.equal(server.stdout, "");
        }
        const after = await Deno.stat(`${cwd}/chatroom.db`);
        assert.equal(after.size, before.size);
        assert.deepEqual(after.mtime, before.mtime);
        assert.deepEqual((await listDir(cwd)).filter((n) => n !== "downloads"), ["chatroom.db"]);
      });
    });
  }
  await t.step("the same data folder as a running server", async () => {
    await withTempDir(async (cwd) => {
      const { server } = await startServerProcess(cwd);
      await using _running = server;
      await using second = ProgramProcess.start(denoLauncher("server"), ["--port", "0"], { cwd });
      assert.equal((await second.exited()).code, 1);
      assert.match(
        second.stderr,
        /^server: .*chatroom\.db: database is locked \(another server is using it/,
      );
    });
  });
});

Deno.test("a data folder the server cannot use: one line, exit 1", async (t) => {
  await t.step("the data folder is a file", async () => {
    await withTempDir(async (cwd) => {
      await Deno.writeTextFile(`${cwd}/data`, "not a folder");
      await using server = ProgramProcess.start(
        denoLauncher("server", BROAD),
        ["--port", "0", "--data-dir", "data"],
        { cwd },
      );
      assert.equal((await server.exited()).code, 1);
      assert.match(server.stderr, /^server: cannot start: .*data.*\n$/);
    });
  });
  await t.step("downloads is a file", async () => {
    await withTempDir(async (cwd) => {
      await Deno.writeTextFile(`${cwd}/downloads`, "not a folder");
      await using server = ProgramProcess.start(denoLauncher("server"), ["--port", "0"], { cwd });
      assert.equal((await server.exited()).code, 1);
      assert.match(server.stderr, /^server: cannot start: .*downloads.*\n$/);
    });
  });
  await t.step("a folder outside what the program may touch", async () => {
    await withTempDir(async (cwd) => {
      await using server = ProgramProcess.start(
        denoLauncher("server"),
        ["--port", "0", "--data-dir", "elsewhere"],
        { cwd },
      );
      assert.equal((await server.exited()).code, 1);
      assert.match(server.stderr, /^server: not permitted: .*elsewhere/);
    });
  });
  await t.step({
    name: "a read-only folder",
    // Root writes through permission bits; CI runs as an ordinary user.
    ignore: Deno.build.os === "windows" || await writesThroughReadOnly(),
    fn: async () => {
      await withTempDir(async (cwd) => {
        await Deno.mkdir(`${cwd}/ro`);
        await Deno.chmod(`${cwd}/ro`, 0o555);
        try {
          await using server = ProgramProcess.start(
            denoLauncher("server", BROAD),
            ["--port", "0", "--data-dir", "ro"],
            { cwd },
          );
          assert.equal((await server.exited()).code, 1);
          assert.match(server.stderr, /^server: (Cannot open the history|cannot start)/);
        } finally {
          await Deno.chmod(`${cwd}/ro`, 0o755);
        }
      });
    },
  });
});

Deno.test("server --help lists the hardening flags; bad values are misuse", async () => {
  await withTempDir(async (cwd) => {
    await using help = ProgramProcess.start(denoLauncher("server"), ["--help"], { cwd });
    assert.equal((await help.exited()).code, 0);
    for (
      const flag of [
        "--data-dir",
        "--history-limit",
        "--stall-timeout",
        "--max-connections",
        "--max-per-address",
        "--limit-loopback",
        "--rate-limit",
        "--rate-burst",
        "--no-rate-limit",
      ]
    ) {
      assert.ok(help.stdout.includes(flag), flag);
    }
    await using bad = ProgramProcess.start(denoLauncher("server"), ["--stall-timeout", "soon"], {
      cwd,
    });
    assert.equal((await bad.exited()).code, 2);
    assert.match(bad.stderr, /^server: --stall-timeout must be a duration .* got "soon"/);
  });
});

Deno.test("--history-limit caps what a joining user is sent; the stored history stays whole", async () => {
  await withTempDir(async (cwd) => {
    const { server, port } = await startServerProcess(cwd, ["--history-limit", "3"]);
    await using _server = server;
    await using cool = await TestClient.join(port, "Cool");
    for (let i = 1; i <= 5; i++) cool.say(`m${i}`);
    await cool.nextText("m5");
    const { user, history } = await joinAndReadHistory(port, "Fun");
    await using _user = user;
    assert.deepEqual(history.map(line), ["Cool: m3", "Cool: m4", "Cool: m5"]);
  });
});
