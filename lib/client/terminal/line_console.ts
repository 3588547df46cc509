/**
 * Line input and output for the terminal client. Lines printed while the
 * user is typing appear above the half-typed line, which is then redrawn,
 * so incoming chat never garbles what the user is writing.
 *
 * Two modes: an interactive terminal (raw mode, a small line editor) and
 * piped input (plain lines, so the client can be scripted and tested).
 *
 * @module
 */

/** Longest input line accepted, in characters; longer input is cut. */
export const MAX_LINE_CHARS = 64 * 1024;

/** What the console reads bytes from. */
export interface ByteSource {
  read(p: Uint8Array): Promise<number | null>;
}

/** Options for {@linkcode LineConsole}. */
export interface LineConsoleOptions {
  /** Where input bytes come from. */
  input: ByteSource;
  /** Where text goes; must write everything it is given. */
  write: (text: string) => void;
  /** Edit lines in place (raw terminal) rather than read piped lines. @default false */
  interactive?: boolean;
  /** Called when the user presses Ctrl-C in interactive mode. */
  onInterrupt?: () => void;
}

/** The user closed the input (Ctrl-D or end of piped input). */
export class InputClosed extends Error {
  /** Creates the error. */
  constructor() {
    super("The input was closed");
    this.name = "InputClosed";
  }
}

/**
 * Reads lines and prints lines without mixing the two up.
 *
 * @example
 * ```ts
 * const console = new LineConsole({ input: Deno.stdin, write: (t) => out(t) });
 * const choice = await console.readLine("Your choice: ");
 * ```
 */
export class LineConsole {
  #input: ByteSource;
  #write: (text: string) => void;
  #interactive: boolean;
  #onInterrupt?: () => void;
  #lines: string[] = [];
  #closed = false;
  #waiter: { resolve: (line: string | null) => void } | null = null;
  #prompt = "";
  #typed = "";
  #pending = "";
  #pump?: Promise<void>;

  /** Creates a console; call {@linkcode start} to begin reading. */
  constructor(options: LineConsoleOptions) {
    this.#input = options.input;
    this.#write = options.write;
    this.#interactive = options.interactive ?? false;
    this.#onInterrupt = options.onInterrupt;
  }

  /** Starts reading input in the background. */
  start(): void {
    this.#pump ??= this.#readLoop();
  }

  /**
   * Shows `prompt` and waits for the next line (without its line ending).
   * Returns `null` if `signal` aborts first. Throws {@linkcode InputClosed}
   * when the input has ended.
   */
  async readLine(prompt = "", signal?: AbortSignal): Promise<string | null> {
    this.start();
    if (this.#lines.length > 0) {
      this.#write(prompt);
      return this.#echo(this.#lines.shift()!);
    }
    if (this.#closed) throw new InputClosed();
    if (signal?.aborted) return null;
    this.#prompt = prompt;
    this.#write(prompt + this.#typed);
    const { promise, resolve } = Promise.withResolvers<string | null>();
    this.#waiter = { resolve };
    const onAbort = () => {
      this.#waiter = null;
      // Clear the half-typed line in a terminal; piped, end the prompt's line (if any).
      if (this.#interactive) this.#write("\r\x1b[2K");
      else if (prompt) this.#write("\n");
      this.#prompt = "";
      resolve(null);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const line = await promise;
      if (line === null && this.#closed && !signal?.aborted) throw new InputClosed();
      return line === null ? null : this.#echo(line);
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Ends the line the user was typing on, if any, so the shell's prompt starts on a fresh line. */
  finish(): void {
    if (this.#waiter && (this.#prompt || this.#typed)) this.#write("\n");
    this.#typed = "";
  }

  /** Piped input is not echoed by a terminal: echo it, so the transcript reads like a session. */
  #echo(line: string): string {
    if (!this.#interactive) this.#write(`${line}\n`);
    return line;
  }

  /** Prints a line above whatever the user is typing. */
  print(line: string): void {
    if (this.#waiter && this.#interactive) {
      this.#write(`\r\x1b[2K${line}\n${this.#prompt}${this.#typed}`);
    } else if (this.#waiter && this.#prompt) {
      // Piped input: the prompt was printed without a newline; finish it first.
      this.#write(`\n${line}\n${this.#prompt}`);
    } else {
      this.#write(`${line}\n`);
    }
  }

  #deliver(line: string): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = null;
      this.#prompt = "";
      waiter.resolve(line);
    } else {
      this.#lines.push(line);
    }
  }

  async #readLoop(): Promise<void> {
    const decoder = new TextDecoder();
    const buf = new Uint8Array(4096);
    try {
      while (true) {
        const n = await this.#input.read(buf);
        if (n === null) break;
        const text = decoder.decode(buf.subarray(0, n), { stream: true });
        if (this.#interactive) this.#edit(text);
        else this.#split(text);
      }
    } finally {
      if (!this.#interactive && this.#pending) this.#deliver(this.#pending.replace(/\r$/, ""));
      this.#pending = "";
      this.#closed = true;
      const waiter = this.#waiter;
      this.#waiter = null;
      waiter?.resolve(null);
    }
  }

  #split(text: string): void {
    const parts = (this.#pending + text).split("\n");
    this.#pending = parts.pop()!.slice(0, MAX_LINE_CHARS);
    for (const part of parts) this.#deliver(part.replace(/\r$/, "").slice(0, MAX_LINE_CHARS));
  }

  /** A minimal line editor: printable text, backspace, Enter, Ctrl-C, Ctrl-D, Ctrl-U. */
  #edit(text: string): void {
    const chars = [...text];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i];
      if (c === "\r" || c === "\n") {
        if (c === "\n" && chars[i - 1] === "\r") continue;
        const line = this.#typed;
        this.#typed = "";
        this.#write("\r\n");
        this.#deliver(line);
      } else if (c === "\x7f" || c === "\b") {
        if (this.#typed) {
          this.#typed = [...this.#typed].slice(0, -1).join("");
          this.#redraw();
        }
      } else if (c === "\x15") {
        this.#typed = "";
        this.#redraw();
      } else if (c === "\x03") {
        this.#onInterrupt?.();
      } else if (c === "\x04") {
        if (!this.#typed) {
          this.#closed = true;
          const waiter = this.#waiter;
          this.#waiter = null;
          waiter?.resolve(null);
        }
      } else if (c === "\x1b") {
        // Skip an escape sequence (arrow keys and the like): ESC [ params final.
        if (chars[i + 1] === "[" || chars[i + 1] === "O") {
          i += 2;
          while (i < chars.length && !/[@-~]/.test(chars[i])) i++;
        }
      } else if (c >= " " && this.#typed.length < MAX_LINE_CHARS) {
        this.#typed += c;
        if (this.#waiter) this.#write(c);
      }
    }
  }

  #redraw(): void {
    if (this.#waiter) this.#write(`\r\x1b[2K${this.#prompt}${this.#typed}`);
  }
}
