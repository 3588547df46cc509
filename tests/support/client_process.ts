/**
 * Test support: the real `client.ts` as a subprocess, in terminal mode (fed
 * through stdin) or in GUI mode (its URL read from stdout). Waits on output,
 * never on fixed sleeps.
 *
 * @module
 */

const CLIENT = new URL("../../client.ts", import.meta.url).pathname;

/** A running `client.ts` whose output is collected as it arrives. */
export class ClientProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  #output = "";
  #waiters: { pattern: RegExp; from: number; resolve: (m: RegExpExecArray) => void }[] = [];
  #pump: Promise<void>;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #done = false;

  /**
   * Starts `client.ts` with `args` in the folder `cwd` (its `downloads/` and
   * `attachments/` are there), with the permissions the product has.
   */
  constructor(args: string[], cwd: string) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-write=downloads",
        "--allow-run",
        CLIENT,
        ...args,
      ],
      cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.child.stdin.getWriter();
    this.#pump = Promise.all([this.#collect(this.child.stdout), this.#collect(this.child.stderr)])
      .then(() => {});
  }

  /** Everything printed so far, stdout and stderr interleaved as they came. */
  get output(): string {
    return this.#output;
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      this.#output += text;
      this.#waiters = this.#waiters.filter((w) => {
        const match = this.#match(w.pattern, w.from);
        if (match) w.resolve(match);
        return !match;
      });
    }
  }

  #match(pattern: RegExp, from: number): RegExpExecArray | null {
    return new RegExp(pattern.source, pattern.flags.replace("g", "")).exec(
      this.#output.slice(from),
    );
  }

  /** Offset of the end of the output so far, to wait only for what comes later. */
  mark(): number {
    return this.#output.length;
  }

  /** Waits until the output (after offset `from`) matches `pattern`. */
  waitFor(pattern: RegExp, from = 0, timeoutMs = 15_000): Promise<RegExpExecArray> {
    const now = this.#match(pattern, from);
    if (now) return Promise.resolve(now);
    const { promise, resolve, reject } = Promise.withResolvers<RegExpExecArray>();
    const timer = setTimeout(() => {
      this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
      reject(new Error(`The client never printed ${pattern}; it printed:\n${this.#output}`));
    }, timeoutMs);
    const done = (m: RegExpExecArray) => {
      clearTimeout(timer);
      resolve(m);
    };
    this.#waiters.push({ pattern, from, resolve: done });
    return promise;
  }

  /** Types `line` and Enter. */
  async type(line: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(line + "\n"));
  }

  /** Closes stdin, sends `signal` unless the process already ended, and waits for it. */
  async stop(signal: Deno.Signal | null = "SIGTERM"): Promise<Deno.CommandStatus> {
    if (!this.#done) {
      this.#done = true;
      await this.#stdin.close().catch(() => {/* the process already closed it */});
    }
    if (signal) {
      try {
        this.child.kill(signal);
      } catch (error) {
        if (!(error instanceof TypeError)) throw error; // it had already exited
      }
    }
    const status = await this.child.status;
    await this.#pump;
    return status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** A `client --gui --no-open` with its own downloads/ and attachments/ under `dir`. */
export class GuiClientProcess extends ClientProcess {
  /** The page's address, token included. */
  url = "";

  /** Starts the GUI client and waits until it prints its URL. */
  static async start(port: number, dir: string): Promise<GuiClientProcess> {
    await Deno.mkdir(`${dir}/attachments`, { recursive: true });
    const gui = new GuiClientProcess(["--gui", "--no-open", "--port", String(port)], dir);
    const [, url] = await gui.waitFor(/Chatroom GUI: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/);
    gui.url = url;
    return gui;
  }
}

/** A terminal `client.ts` with its own downloads/ under `dir`. */
export class TerminalClientProcess extends ClientProcess {
  /** Starts the terminal client and waits for its menu. */
  static async start(port: number, dir: string): Promise<TerminalClientProcess> {
    await Deno.mkdir(dir, { recursive: true });
    const client = new TerminalClientProcess(["--port", String(port)], dir);
    await client.waitFor(/Your choice: /);
    return client;
  }

  /** Chooses "join" and enters `username`; waits for the welcome. */
  async join(username: string): Promise<void> {
    const from = this.mark();
    await this.type("2");
    await this.type(username);
    await this.waitFor(/The server welcomes you to the chatroom\./, from);
  }

  /** Quits the chatroom and the program, and waits for it to exit. */
  async quit(): Promise<Deno.CommandStatus> {
    await this.type("q");
    await this.type("3");
    return await this.stop(null);
  }
}
