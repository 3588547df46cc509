/**
 * The end-to-end smoke test of the shipped programs, whatever form they take
 * (bundles run by `deno run`, or compiled binaries): each program is copied
 * alone into an empty folder and driven through standard input, as a student
 * would run it: join, chat, attachment, quit.
 *
 * @module
 */
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { type Launcher, ProgramProcess } from "./program_process.ts";
import type { Program } from "../../scripts/targets.ts";

/** The assignment's attachment. */
export const COOL_FILE =
  "I am on a light diet: I eat in daylight, I eat in moonlight, and sometimes, I eat in refrigerator light!";

/** Makes the launcher for a program copied into `dir`. */
export type Install = (program: Program, dir: string) => Promise<Launcher>;

/** A launcher for a compiled binary: copies it into `dir` and runs the copy. */
export function binaryInstall(paths: Record<Program, string>): Install {
  return async (program, dir) => {
    const copy = join(dir, basename(paths[program]));
    await Deno.copyFile(paths[program], copy);
    if (Deno.build.os !== "windows") await Deno.chmod(copy, 0o755);
    return { command: copy, args: [] };
  };
}

/** A launcher for a bundle: copies it into `dir` and runs it with `deno run` and `permissions`. */
export function bundleInstall(
  paths: Record<Program, string>,
  permissions: Record<Program, readonly string[]>,
): Install {
  return async (program, dir) => {
    const copy = join(dir, basename(paths[program]));
    await Deno.copyFile(paths[program], copy);
    return { command: Deno.execPath(), args: ["run", ...permissions[program], copy] };
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Runs the smoke test: a server and two clients, Cool (who types `\n`) and
 * Fun (who types `\r\n`, as Windows pipes do). Ctrl-C is sent as SIGINT
 * where the OS can send it to a child (not on Windows).
 */
export async function runSmokeTest(install: Install): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "chatroom-smoke-" });
  try {
    const dir = { server: join(root, "server"), cool: join(root, "cool"), fun: join(root, "fun") };
    for (const d of Object.values(dir)) await Deno.mkdir(d);
    await Deno.mkdir(join(dir.cool, "attachments"));
    await Deno.writeTextFile(join(dir.cool, "attachments", "coolfile1.txt"), COOL_FILE);

    const serverLauncher = await install("server", dir.server);
    const serverArgs = ["--host", "127.0.0.1", "--port", "0"];
    await using server = ProgramProcess.start(serverLauncher, serverArgs, {
      cwd: dir.server,
      label: "server",
    });
    const port = (await server.waitFor(/Server listening on 127\.0\.0\.1:(\d+)/))[1];

    const coolLauncher = await install("client", dir.cool);
    const funLauncher = await install("client", dir.fun);
    await using cool = ProgramProcess.start(coolLauncher, ["--port", port], {
      cwd: dir.cool,
      label: "Cool",
    });
    await cool.waitFor("Your choice: ");
    await cool.type("2");
    await cool.waitFor("Please enter a username: ");
    await cool.type("Cool");
    await cool.waitFor("The server welcomes you to the chatroom.");
    await cool.type("Hi");
    await cool.waitFor(/\] Cool: Hi\n/);

    await using fun = ProgramProcess.start(funLauncher, ["--port", port], {
      cwd: dir.fun,
      label: "Fun",
    });
    await fun.waitFor("Your choice: ");
    await fun.type("2", "\r\n");
    await fun.waitFor("Please enter a username: ");
    await fun.type("Fun", "\r\n");
    await fun.waitFor("Here is a history of the chatroom.");
    await fun.waitFor(/\] Cool: Hi\n/);
    await cool.waitFor(/\] Server: Fun joined the chatroom\.\n/);
    await fun.type("Hi Cool, are you there?", "\r\n");
    await cool.waitFor(/\] Fun: Hi Cool, are you there\?\n/);

    assert.equal(await exists(join(dir.fun, "downloads")), false, "Fun's downloads/ before");
    await cool.type("a");
    await cool.waitFor("Please enter the file path and name: ");
    await cool.type(join("attachments", "coolfile1.txt"));
    for (const client of [fun, cool]) {
      await client.waitFor(`] Cool: ${COOL_FILE}\n`);
      await client.waitFor(
        `(attachment coolfile1.txt, ${COOL_FILE.length} bytes, saved to downloads`,
      );
    }
    await server.waitFor("Attachment coolfile1.txt from Cool saved");
    for (const d of Object.values(dir)) {
      assert.equal(await Deno.readTextFile(join(d, "downloads", "coolfile1.txt")), COOL_FILE);
    }

    await fun.type("q", "\r\n");
    await cool.waitFor(/\] Server: Fun left the chatroom\.\n/);
    await fun.waitFor("Your choice: ");
    await fun.type("3", "\r\n");
    assert.equal((await fun.exit()).code, 0, "Fun's exit code");

    if (Deno.build.os === "windows") {
      await cool.type("q");
      await cool.waitFor("Your choice: ");
      await cool.type("3");
      assert.equal((await cool.exit()).code, 0, "Cool's exit code");
    } else {
      cool.kill("SIGINT");
      assert.equal((await cool.exited()).code, 130, "Cool's exit code after Ctrl-C");
    }
    await server.waitFor("Cool quit the chatroom (0/3 users)");

    if (Deno.build.os === "windows") {
      server.kill("SIGKILL");
    } else {
      server.kill("SIGINT");
      await server.waitFor("Server stopped");
      assert.equal((await server.exited()).code, 0, "server's exit code after Ctrl-C");
    }
    await server.exit();
    assert.equal(server.stderr, "", "server's standard error");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}
