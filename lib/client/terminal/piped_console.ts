/**
 * The console for piped input (stdin not a terminal): plain lines, each
 * echoed after its prompt so the transcript reads like the assignment's.
 *
 * @module
 */
import {
  type ByteSource,
  InputClosed,
  type LineConsole,
  MAX_LINE_CHARS,
  type ReadLineOptions,
  tooLongNotice,
} from "./line_console.ts";

/** Options for {@linkcode PipedConsole}. */
export interface PipedConsoleOptions {
  /** Where input bytes come from. */
  input: ByteSource;
  /** Where text goes; must write everything it is given. */
  write: (text: string) => void;
}

/**
 * Reads piped lines (`\n` or `\r\n`) and prints lines; a prompt waiting for
 * input is ended before a line printed meanwhile.
 *
 * @example
 * ```ts
 * const console = new PipedConsole({ input: Deno.stdin, write: (t) => out(t) });
 * const choice = await console.readLine("Your choice: ");
 * ```
 */
export class PipedConsole implements LineConsole {
  #input: ByteSource;
  #write: (text: string) => void;
  #lines: string[] = [];
  #closed = false;
  #waiter: { resolve: (line: string | null) => void } | null = null;
  #prompt = "";
  #pending = "";
  /** Length of the line being read once it went over the limit, else 0. */
  #overlong = 0;
  #pump?: Promise<void>;

  /** Creates a console; reading starts with the first {@linkcode readLine}. */
  constructor(options: PipedConsoleOptions) {
    this.#input = options.input;
    this.#write = options.write;
  }

  /** Starts reading input in the background. */
  start(): void {
    this.#pump ??= this.#readLoop();
  }

  /** See {@linkcode LineConsole.readLine}. */
  async readLine(prompt = "", options: ReadLineOptions = {}): Promise<string | null> {
    const { signal } = options;
    this.start();
    if (this.#lines.length > 0) {
      this.#write(prompt);
      return this.#echo(this.#lines.shift()!);
    }
    if (this.#closed) throw new InputClosed();
    if (signal?.aborted) return null;
    this.#prompt = prompt;
    this.#write(prompt);
    const { promise, resolve } = Promise.withResolvers<string | null>();
    this.#waiter = { resolve };
    const onAbort = () => {
      this.#waiter = null;
      // End the prompt's line (if any).
      if (prompt) this.#write("\n");
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

  /** See {@linkcode LineConsole.finish}. */
  finish(): void {
    if (this.#waiter && this.#prompt) this.#write("\n");
  }

  /** Piped input is not echoed by a terminal: echo it, so the transcript reads like a session. */
  #echo(line: string): string {
    this.#write(`${line}\n`);
    return line;
  }

  /** See {@linkcode LineConsole.print}. */
  print(line: string): void {
    if (this.#waiter && this.#prompt) {
      // The prompt was printed without a newline; finish it first.
      this.#write(`\n${line}\n${this.#prompt}`);
    } else {
      this.#write(`${line}\n`);
    }
  }

  /** Piped output has no screen to keep a status line on: nothing is shown. */
  status(_text: string | null): void {}

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
    const buf = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await this.#input.read(buf);
        if (n === null) break;
        this.#split(decoder.decode(buf.subarray(0, n), { stream: true }));
      }
    } finally {
      this.#split(decoder.decode());
      if (this.#pending || this.#overlong) this.#end(this.#pending.replace(/\r$/, ""));
      this.#pending = "";
      this.#closed = true;
      const waiter = this.#waiter;
      this.#waiter = null;
      waiter?.resolve(null);
    }
  }

  #split(text: string): void {
    const parts = text.split("\n");
    const last = parts.pop()!;
    for (const part of parts) {
      this.#end((this.#pending + part).replace(/\r$/, ""));
      this.#pending = "";
    }
    if (this.#overlong) this.#overlong += last.length;
    else if (this.#pending.length + last.length > MAX_LINE_CHARS) {
      this.#overlong = this.#pending.length + last.length;
      this.#pending = "";
    } else this.#pending += last;
  }

  /** A line has ended: deliver it, or refuse it whole if it was over the limit. */
  #end(line: string): void {
    const length = this.#overlong ? this.#overlong + line.length : line.length;
    this.#overlong = 0;
    if (length > MAX_LINE_CHARS) this.print(tooLongNotice(length));
    else this.#deliver(line);
  }
}
