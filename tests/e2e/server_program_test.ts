/**
 * The real `server.ts` as a subprocess: what it prints, how it stops, and
 * that it can restart on the same port at once.
 */
import assert from "node:assert/strict";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { TestClient } from "../support/harness.ts";
import { denoLauncher, ProgramProcess } from "../support/program_process.ts";
import { SqliteHistory } from "../../lib/server/history/sqlite_history.ts";

async function startServerProcess(cwd: string, port = 0) {
  const server = ProgramProcess.start(
    denoLauncher("server"),
    ["--host", "127.0.0.1", "--port", String(port)],
    { cwd },
  );
  const [, listenPort] = await server.waitFor(/Server listening on 127\.0\.0\.1:(\d+)/);
  return { server, port: Number(listenPort) };
}

/** Cool joins the server on `port` and says Hi; Cool, once the line is back. */
async function coolSaysHi(port: number): Promise<TestClient> {
  const cool = await TestClient.join(port, "Cool");
  cool.say("Hi");
  await cool.nextText("Hi");
  return cool;
}

Deno.test({
  name: "server reports what it does, and stops cleanly on SIGTERM",
  // Windows has no SIGTERM to catch: killing the process there ends it at once.
  ignore: Deno.build.os === "windows",
  async fn() {
    const cwd = await Deno.makeTempDir();
    try {
      const { server, port } = await startServerProcess(cwd);
      await using _server = server;
      await using cool = await coolSaysHi(port);
      await using sad = await TestClient.connect(port);
      sad.send({ flags: FLAG.JOIN_REQUEST, username: "cool" });
      await sad.next((f) => f.flags === FLAG.JOIN_REJECT);
      await server.waitFor('joined as "Cool" (1/3 users); sent 0 history entries');
      await server.waitFor('Message from Cool: "Hi"');
      await server.waitFor('join request as "cool" rejected: USERNAME_TAKEN');
      server.kill("SIGTERM");
      const notice = await cool.nextText("The server is shutting down.");
      assert.equal(notice.flags, FLAG.NOTICE);
      assert.equal((await server.exited()).code, 0);
      assert.match(
        server.stdout,
        /Received SIGTERM; shutting down\n[\s\S]*Server stopped\n.*History closed: chatroom\.db\n$/,
      );
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  },
});

Deno.test({
  name: "server restarts on the same port right after stopping with users connected",
  // Windows has no SIGTERM to catch: killing the process there ends it at once.
  ignore: Deno.build.os === "windows",
  async fn() {
    const cwd = await Deno.makeTempDir();
    try {
      const first = await startServerProcess(cwd);
      {
        await using _server = first.server;
        await using cool = await TestClient.join(first.port, "Cool");
        first.server.kill("SIGTERM");
        await cool.closed;
        assert.equal((await first.server.exited()).code, 0);
      }
      const second = await startServerProcess(cwd, first.port);
      await using _second = second.server;
      assert.equal(second.port, first.port);
      await using again = await TestClient.join(second.port, "Cool");
      assert.ok(again);
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  },
});

Deno.test("server says which port is busy, suggests the next one, and creates no history", async () => {
  const cwd = await Deno.makeTempDir();
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await using server = ProgramProcess.start(
      denoLauncher("server"),
      ["--host", "127.0.0.1", "--port", String(taken.addr.port)],
      { cwd },
    );
    assert.equal((await server.exited()).code, 1);
    assert.match(
      server.stderr,
      new RegExp(
        `^server: cannot listen on 127\\.0\\.0\\.1:${taken.addr.port}: the port is already in use .*; try --port ${
          taken.addr.port + 1
        }`,
      ),
    );
    await assert.rejects(Deno.stat(`${cwd}/chatroom.db`), Deno.errors.NotFound);
  } finally {
    taken.close();
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("server misuse prints one line and usage, exit code 2", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    await using server = ProgramProcess.start(denoLauncher("server"), ["--max-users", "0"], {
      cwd,
    });
    assert.equal((await server.exited()).code, 2);
    assert.match(server.stderr, /^server: --max-users must be a whole number from 1 to /);
    assert.match(server.stderr, /Usage: server \[options\]/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("server --fresh starts with an empty history and keeps the old one under a dated name", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    const start = (args: string[] = []) =>
      ProgramProcess.start(
        denoLauncher("server"),
        ["--host", "127.0.0.1", "--port", "0", ...args],
        {
          cwd,
        },
      );
    {
      await using first = start();
      const [, port] = await first.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
      await using cool = await TestClient.join(Number(port), "Cool");
      cool.say("Hi");
      await cool.next((f) => f.sender === "Cool");
    }
    {
      await using again = start();
      const [line] = await again.waitFor(
        /History: chatroom\.db, \d+ entries, the last from .*--fresh.*/,
      );
      assert.match(line, /the last from \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    }
    await using fresh = start(["--fresh"]);
    const [, archived] = await fresh.waitFor(
      /History: chatroom\.db starts empty \(--fresh\); the old one is (history-archive\/chatroom-[\dT-]+\.db)/,
    );
    const [, port] = await fresh.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    await using fun = await TestClient.connect(Number(port));
    fun.send({ flags: FLAG.JOIN_REQUEST, username: "Fun" });
    const accept = await fun.next((f) => (f.flags & FLAG.JOIN_ACCEPT) !== 0);
    assert.equal(accept.number, 0, "the fresh history is empty");
    const old = SqliteHistory.open(`${cwd}/${archived}`);
    try {
      assert.ok(
        old.list().some((e) => e.kind === "chat" && e.text === "Hi"),
        "the old history is kept",
      );
    } finally {
      old.close();
    }
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test({
  name: "a start that fails after --fresh archived the history still says where the old one went",
  async fn() {
    const cwd = await Deno.makeTempDir();
    try {
      {
        const { server, port } = await startServerProcess(cwd);
        await using _server = server;
        await using _cool = await coolSaysHi(port);
      }
      // downloads/ cannot be made: the start fails after the archive, right after logging it.
      await Deno.remove(`${cwd}/downloads`, { recursive: true });
      await Deno.writeTextFile(`${cwd}/downloads`, "not a folder\n");
      await using fresh = ProgramProcess.start(
        denoLauncher("server"),
        ["--host", "127.0.0.1", "--port", "0", "--fresh"],
        { cwd },
      );
      const status = await fresh.exited();
      assert.equal(status.code, 1, fresh.stderr);
      const [, archived] = fresh.stdout.match(
        /History: chatroom\.db starts empty \(--fresh\); the old one is (history-archive\/chatroom-[\dT-]+\.db)/,
      ) ?? [];
      assert.ok(archived, `stdout does not say where the old history went:\n${fresh.stdout}`);
      assert.ok((await Deno.stat(`${cwd}/${archived}`)).isFile);
      assert.match(fresh.stderr, /downloads/);
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  },
});
