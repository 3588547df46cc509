/**
 * Test support: a program run in a real pseudo-terminal (a detached tmux
 * session, 80×24 unless told), driven with keys and read back as the screen
 * a user would see. Waits poll the screen with a deadline; no fixed sleeps.
 *
 * @example
 * ```ts
 * await using term = await PtyTerminal.start(denoLauncher("client"), ["--port", "18000"], { cwd });
 * await term.waitForScreen("Your choice: ");
 * await term.type("2");
 * await term.keys("Enter");
 * ```
 *
 * @module
 */
import type { Launcher } from "./program_process.ts";

/** What the pane prints when the program has exited, before its status and a `]`. */
const EXIT_MARK = "[pty: exited with status ";

/** True if tmux can be run here; PTY tests fail with one line without it. */
export const HAVE_TMUX: boolean = (() => {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
})();

/** Options for {@linkcode PtyTerminal.start}. */
export interface PtyStartOptions {
  /** Working folder of the program. */
  cwd: string;
  /** Screen width. @default 80 */
  columns?: number;
  /** Screen height. @default 24 */
  rows?: number;
}

/** A program in a tmux pane: keys in, screen out. Dispose it to end the tmux server. */
export class PtyTerminal implements AsyncDisposable {
  #socket: string;
  #dir: string;

  private constructor(socket: string, dir: string) {
    this.#socket = socket;
    this.#dir = dir;
  }

  /** Starts `launcher` with `args` in a fresh tmux server of its own. */
  static async start(
    launcher: Launcher,
    args: readonly string[],
    options: PtyStartOptions,
  ): Promise<PtyTerminal> {
    // A socket of its own in a folder of its own, removed on dispose.
    const dir = await Deno.makeTempDir({ prefix: "chatroom-pty-" });
    const terminal = new PtyTerminal(`${dir}/tmux.sock`, dir);
    await terminal.#tmux(
      "-f",
      "/dev/null",
      "start-server",
      ";",
      "set-option",
      "-g",
      "remain-on-exit",
      "on",
      ";",
      "new-session",
      "-d",
      "-x",
      String(options.columns ?? 80),
      "-y",
      String(options.rows ?? 24),
      "-c",
      options.cwd,
      "--",
      // tmux does not always learn a Deno program's exit status: the shell prints it.
      "sh",
      "-c",
      `"$@"; echo "${EXIT_MARK}$?]"`,
      "sh",
      launcher.command,
      ...launcher.args,
      ...args,
    );
    return terminal;
  }

  async #tmux(...args: string[]): Promise<string> {
    const { success, stdout, stderr } = await new Deno.Command("tmux", {
      args: ["-S", this.#socket, ...args],
      env: { NO_COLOR: "1" },
      stdin: "null",
    }).output();
    if (!success) {
      throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(stderr).trim()}`);
    }
    return new TextDecoder().decode(stdout);
  }

  /** Types `text` literally, as one burst (as a paste or fast typing arrives). */
  async type(text: string): Promise<void> {
    await this.#tmux("send-keys", "-l", "--", text);
  }

  /** Presses keys by tmux name: `Enter`, `Left`, `BSpace`, `Home`, `C-a`, `Up`, `Tab`… */
  async keys(...names: string[]): Promise<void> {
    await this.#tmux("send-keys", ...names);
  }

  /** Pastes `text` as a terminal pastes it (through a tmux buffer), however long. */
  async paste(text: string): Promise<void> {
    const file = await Deno.makeTempFile({ prefix: "pty-paste-" });
    try {
      await Deno.writeTextFile(file, text);
      await this.#tmux("load-buffer", file);
      await this.#tmux("paste-buffer", "-d");
    } finally {
      await Deno.remove(file);
    }
  }

  /** Resizes the screen, as dragging a terminal window's edge does. */
  async resize(columns: number, rows = 24): Promise<void> {
    await this.#tmux("resize-window", "-x", String(columns), "-y", String(rows));
  }

  /** The screen as a user sees it: one string per row, trailing spaces trimmed. */
  async screen(): Promise<string[]> {
    const text = await this.#tmux("capture-pane", "-p");
    return text.replace(/\n$/, "").split("\n").map((row) => row.trimEnd());
  }

  /** The screen's rows joined with `\n`, blank rows at the bottom dropped. */
  async text(): Promise<string> {
    return (await this.screen()).join("\n").trimEnd();
  }

  /**
   * Waits until the screen (rows joined with `\n`) contains `pattern`, or a
   * predicate on it holds; fails with the last screen after `timeoutMs`.
   */
  async waitForScreen(
    pattern: string | RegExp | ((screen: string) => boolean),
    timeoutMs = 20_000,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const matches = typeof pattern === "function"
      ? pattern
      : (s: string) => typeof pattern === "string" ? s.includes(pattern) : pattern.test(s);
    let last = "";
    while (Date.now() < deadline) {
      last = await this.text();
      if (matches(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`The screen did not show ${String(pattern)} within ${timeoutMs} ms:\n${last}`);
  }

  /** Waits for the program to exit; returns its exit status. */
  async exited(timeoutMs = 20_000): Promise<number> {
    const screen = await this.waitForScreen(
      new RegExp(`${RegExp.escape(EXIT_MARK)}\\d+\\]`),
      timeoutMs,
    );
    return Number(screen.slice(screen.lastIndexOf(EXIT_MARK) + EXIT_MARK.length).split("]")[0]);
  }

  /** Ends the tmux server and the program in it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#tmux("kill-server").catch(() => {/* the server has already gone */});
    await Deno.remove(this.#dir, { recursive: true });
  }
}
