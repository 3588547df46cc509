/**
 * Test support: conveniences over {@linkcode ProgramProcess} for the real
 * `client.ts` — in GUI mode (its URL read from stdout) and in terminal mode
 * (joining and quitting through its menu).
 *
 * @module
 */
import { denoLauncher, PERMISSIONS, ProgramProcess } from "./program_process.ts";

/** A `client --gui --no-open` and the address of its page. */
export interface GuiClient extends AsyncDisposable {
  process: ProgramProcess;
  /** The page's address, token included. */
  url: string;
}

/**
 * Starts a GUI client with its own `downloads/` and `attachments/` under
 * `dir`, and waits until it prints its URL.
 */
export async function startGuiClient(port: number, dir: string): Promise<GuiClient> {
  await Deno.mkdir(`${dir}/attachments`, { recursive: true });
  const process = ProgramProcess.start(
    denoLauncher("client", PERMISSIONS.gui),
    ["--gui", "--no-open", "--port", String(port)],
    { cwd: dir, label: "GUI client" },
  );
  const [, url] = await process.waitFor(
    /Chatroom GUI: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/,
  );
  return { process, url, [Symbol.asyncDispose]: () => process[Symbol.asyncDispose]() };
}

/** Starts a terminal client with its own `downloads/` under `dir`, and waits for its menu. */
export async function startTerminalClient(port: number, dir: string): Promise<ProgramProcess> {
  await Deno.mkdir(dir, { recursive: true });
  const client = ProgramProcess.start(denoLauncher("client"), ["--port", String(port)], {
    cwd: dir,
    label: "terminal client",
  });
  await client.waitFor("Your choice: ");
  return client;
}

/** Chooses "join" in a terminal client's menu, enters `username` and waits for the welcome. */
export async function joinAs(client: ProgramProcess, username: string): Promise<void> {
  const from = client.mark();
  await client.type("2");
  await client.type(username);
  await client.waitFor("The server welcomes you to the chatroom.", { from });
}

/** Quits the chatroom and the terminal client, and waits for it to exit. */
export async function quit(client: ProgramProcess): Promise<Deno.CommandStatus> {
  await client.type("q");
  await client.type("3");
  return await client.exited();
}
