/** `deno task gui -- --no-open`: the client takes its flags after deno task's `--` too. */
import assert from "node:assert/strict";
import { denoLauncher, PERMISSIONS, ProgramProcess } from "../support/program_process.ts";

Deno.test("client --gui -- --no-open (as deno task gui -- --no-open passes it) serves the GUI", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "chatroom-separator-" });
  try {
    // Port 1: nothing listens there, and the GUI starts without a server.
    await using client = ProgramProcess.start(
      denoLauncher("client", PERMISSIONS.gui),
      ["--gui", "--", "--no-open", "--port", "1"],
      { cwd, label: "GUI client" },
    );
    await client.waitFor(/Chatroom GUI: http:\/\/127\.0\.0\.1:\d+\//);
    assert.equal(client.stderr.includes("Unexpected argument"), false, client.stderr);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
