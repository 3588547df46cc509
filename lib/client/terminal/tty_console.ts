/**
 * The console for a terminal in raw mode: a line editor ({@linkcode LineEditor})
 * drawn on a screen that wraps, with lines printed above the half-typed
 * line and a status line (transfer progress) kept between the two.
 *
 * The console knows which row of the line the cursor is on, so each redraw
 * starts from the line's first row, however many rows it wraps onto and
 * however wide its characters are. Keys are decoded by `node:readline`'s
 * `emitKeypressEvents`; a paste's characters are inserted at once, not one
 * redraw per character.
 *
 * @module
 */
import { emitKeypressEvents } from "node:readline";
import { PassThrough } from "node:stream";
import {
  type ByteSource,
  type Completer,
  InputClosed,
  type LineConsole,
  MAX_LINE_CHARS,
  type PrintOptions,
  type ReadLineOptions,
} from "./line_console.ts";
import { type Key, LineEditor } from "./line_editor.ts";
import { advance, clipToWidth, type ScreenPos, shown, wrapRows } from "./screen_layout.ts";

/** Options for {@linkcode TtyConsole}. */
export interface TtyConsoleOptions {
  /** Where input bytes come from (a terminal in raw mode). */
  input: ByteSource;
  /** Where text goes; must write everything it is given. */
  write: (text: string) => void;
  /** The terminal's width in columns, asked before every redraw. */
  columns: () => number;
  /** Called when the user presses Ctrl-C. */
  onInterrupt?: () => void;
}

interface Waiter {
  resolve: (line: string | null) => void;
  history: boolean;
  complete?: Completer;
}

// deno-lint-ignore no-control-regex -- a single printable key has no control character
const PRINTABLE = /^[^\u0000-\u001f\u007f-\u009f]+$/u;

/**
 * Reads lines from a raw terminal with a line editor, and prints lines
 * above the one being typed.
 *
 * @example
 * ```ts
 * Deno.stdin.setRaw(true);
 * const console = new TtyConsole({ input: Deno.stdin, write, columns: () => Deno.consoleSize().columns });
 * const choice = await console.readLine("Your choice: ");
 * ```
 */
export class TtyConsole implements LineConsole {
  #input: ByteSource;
  #sink: (text: string) => void;
  /** Output not yet written: each operation is written at once, so no half-drawn screen shows. */
  #out = "";
  #columns: () => number;
  #onInterrupt?: () => void;
  #editor = new LineEditor({ maxLength: MAX_LINE_CHARS });
  #keys = new PassThrough();
  #waiter: Waiter | null = null;
  /** Lines entered while no prompt was waiting, oldest first. */
  #ready: string[] = [];
  #prompt = "";
  #closed = false;
  #pump?: Promise<void>;
  /** Typed characters not yet inserted (a paste arrives as many keys at once). */
  #typed = "";
  #flushQueued = false;
  #status: string | null = null;
  /** What is on the screen below the printed lines: status rows, then the line's rows. */
  #drawn = { statusRows: 0, cursorRow: 0, end: { row: 0, col: 0 } as ScreenPos };
  #width = 80;
  #lastKey = "";
  #noticedDrop = false;

  /** Creates a console; reading starts with the first {@linkcode readLine}. */
  constructor(options: TtyConsoleOptions) {
    this.#input = options.input;
    this.#sink = options.write;
    this.#columns = options.columns;
    this.#onInterrupt = options.onInterrupt;
    this.#width = this.#measure();
    emitKeypressEvents(this.#keys);
    this.#keys.on("keypress", (sequence: string | undefined, key: Key | undefined) => {
      this.#onKey({ ...key, sequence: key?.sequence ?? sequence });
    });
  }

  /** Starts reading input in the background. */
  start(): void {
    this.#pump ??= this.#readLoop();
  }

  /** See {@linkcode LineConsole.readLine}. */
  async readLine(prompt = "", options: ReadLineOptions = {}): Promise<string | null> {
    const { signal } = options;
    this.start();
    if (this.#ready.length > 0) {
      // Entered before this prompt showed (a paste of several lines, or typing ahead).
      const line = this.#ready.shift()!;
      this.#erase();
      this.#write(`${prompt}${shown(line)}\r\n`);
      this.#draw();
      if (options.history) this.#editor.remember(line);
      this.#flush();
      return line;
    }
    if (this.#closed) throw new InputClosed();
    if (signal?.aborted) return null;
    this.#erase();
    this.#prompt = prompt;
    const { promise, resolve } = Promise.withResolvers<string | null>();
    this.#waiter = { resolve, history: options.history ?? false, complete: options.complete };
    this.#draw();
    this.#flush();
    const onAbort = () => {
      // The half-typed line is cleared from the screen and kept for the next prompt.
      this.#erase();
      this.#waiter = null;
      this.#prompt = "";
      this.#draw();
      this.#flush();
      resolve(null);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const line = await promise;
      if (line === null && this.#closed && !signal?.aborted) throw new InputClosed();
      return line;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * See {@linkcode LineConsole.print}. With `options.indent`, a line wider
   * than the screen is wrapped here, at spaces where it can be, its further
   * rows indented ({@linkcode wrapRows}); others wrap at the terminal's edge,
   * as the terminal does (a long URL of the client's own stays one line to
   * copy).
   */
  print(line: string, options: PrintOptions = {}): void {
    this.#flushTyped();
    this.#erase();
    const text = line.replaceAll("\r\n", "\n");
    const rows = options.indent === undefined
      ? text
      : wrapRows(text, this.#measure(), options.indent);
    this.#write(`${rows.replaceAll("\n", "\r\n")}\r\n`);
    this.#draw();
    this.#flush();
  }

  /** See {@linkcode LineConsole.status}. */
  status(text: string | null): void {
    if (text === this.#status) return;
    this.#flushTyped();
    this.#erase();
    this.#status = text;
    this.#draw();
    this.#flush();
  }

  /** The terminal was resized: it has rewrapped what is on screen; draw again at the new width. */
  resize(): void {
    this.#flushTyped();
    const width = this.#measure();
    if (width === this.#width) return;
    this.#width = width;
    // Terminals that rewrap keep the cursor after the same character: find its new row.
    const line = this.#waiter ? this.#prompt + shown(this.#editor.text) : "";
    const before = this.#waiter
      ? this.#prompt + shown(this.#editor.text.slice(0, this.#editor.cursor))
      : "";
    this.#drawn.cursorRow = advance(before, width).row;
    this.#drawn.end = advance(line, width);
    this.#erase();
    this.#draw();
    this.#flush();
  }

  /** See {@linkcode LineConsole.finish}. */
  finish(): void {
    this.#flushTyped();
    const typing = this.#waiter && (this.#prompt || this.#editor.text);
    this.#erase();
    this.#status = null;
    if (typing) this.#write(`${this.#prompt}${shown(this.#editor.text)}\r\n`);
    this.#waiter = null;
    this.#flush();
  }

  #write(text: string): void {
    this.#out += text;
  }

  #flush(): void {
    if (!this.#out) return;
    const out = this.#out;
    this.#out = "";
    this.#sink(out);
  }

  #measure(): number {
    const columns = this.#columns();
    return Number.isFinite(columns) && columns > 1 ? columns : 80;
  }

  /** Moves to the first row below the printed lines and clears everything from there down. */
  #erase(): void {
    const up = this.#drawn.statusRows + this.#drawn.cursorRow;
    this.#write(`${up > 0 ? `\x1b[${up}A` : ""}\r\x1b[J`);
    this.#drawn = { statusRows: 0, cursorRow: 0, end: { row: 0, col: 0 } };
  }

  /** Draws the status line and the line being typed, from the row the cursor is on. */
  #draw(): void {
    this.#width = this.#measure();
    let out = "";
    if (this.#status !== null) {
      out += `${clipToWidth(this.#status, this.#width - 1)}\r\n`;
      this.#drawn.statusRows = 1;
    }
    if (this.#waiter) {
      const line = this.#prompt + shown(this.#editor.text);
      const end = advance(line, this.#width);
      const cursor = advance(
        this.#prompt + shown(this.#editor.text.slice(0, this.#editor.cursor)),
        this.#width,
      );
      out += line + this.#settle(end) + this.#moveFrom(end, cursor);
      this.#drawn.cursorRow = cursor.row;
      this.#drawn.end = end;
    }
    this.#write(out);
  }

  /** After writing up to `end`: a row filled to the edge leaves the cursor there; move it down. */
  #settle(end: ScreenPos): string {
    return end.col === 0 && end.row > 0 ? "\r\n" : "";
  }

  #moveFrom(from: ScreenPos, to: ScreenPos): string {
    if (from.row === to.row && from.col === to.col) return "";
    const up = from.row - to.row;
    return `${up > 0 ? `\x1b[${up}A` : ""}\r${to.col > 0 ? `\x1b[${to.col}C` : ""}`;
  }

  async #readLoop(): Promise<void> {
    const buf = new Uint8Array(16 * 1024);
    try {
      while (!this.#closed) {
        const n = await this.#input.read(buf);
        if (n === null) break;
        this.#keys.write(buf.slice(0, n));
      }
    } finally {
      this.#end();
    }
  }

  #end(): void {
    this.#closed = true;
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.resolve(null);
  }

  #onKey(key: Key): void {
    const sequence = key.sequence ?? "";
    // A "\r\n" (pasted text) is one line break, not two.
    const skip = key.name === "enter" && this.#lastKey === "return";
    this.#lastKey = key.name ?? "";
    if (skip) return;
    // A tab in a paste, or with nothing to complete, is text.
    const tab = key.name === "tab" && (this.#flushQueued || !this.#waiter?.complete);
    if (tab || (!key.ctrl && !key.meta && sequence && PRINTABLE.test(sequence))) {
      this.#typed += tab ? "\t" : sequence;
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        queueMicrotask(() => this.#flushTyped());
      }
      return;
    }
    this.#flushTyped();
    this.#apply(key);
    this.#flush();
  }

  /** Inserts what was typed since the last key that was not a character. */
  #flushTyped(): void {
    this.#flushQueued = false;
    if (!this.#typed) return;
    const typed = this.#typed;
    this.#typed = "";
    const editor = this.#editor;
    if (!this.#waiter || !editor.atEnd) {
      editor.insert(typed);
      if (this.#waiter) this.#redraw();
    } else {
      // Typing at the end of the line: write just the new characters.
      const from = this.#drawn.end;
      const before = editor.text.length;
      editor.insert(typed);
      const added = shown(editor.text.slice(before));
      const end = advance(added, this.#width, from);
      this.#write(added + this.#settle(end));
      this.#drawn.end = end;
      this.#drawn.cursorRow = end.row;
    }
    if (editor.dropped > 0 && !this.#noticedDrop) {
      this.#noticedDrop = true;
      this.print(
        `The line is at its limit of ${MAX_LINE_CHARS} characters; ` +
          `${editor.dropped} typed characters were not added.`,
      );
    }
    this.#flush();
  }

  #redraw(): void {
    this.#erase();
    this.#draw();
  }

  #apply(key: Key): void {
    const result = this.#editor.key(key);
    switch (result) {
      case "edited":
      case "moved":
        if (this.#waiter) this.#redraw();
        return;
      case "submit":
        return this.#submit();
      case "interrupt":
        this.#onInterrupt?.();
        return;
      case "end-of-input":
        this.#erase();
        this.#draw();
        return this.#end();
      case "clear-screen":
        this.#write("\x1b[H\x1b[2J");
        this.#drawn = { statusRows: 0, cursorRow: 0, end: { row: 0, col: 0 } };
        this.#draw();
        return;
      case "complete":
        void this.#complete();
        return;
      case "ignored":
        return;
    }
  }

  #submit(): void {
    const waiter = this.#waiter;
    if (!waiter) {
      this.#ready.push(this.#editor.take());
      return;
    }
    // The finished line stays on screen as typed; the status line moves below it.
    this.#erase();
    this.#write(`${this.#prompt}${shown(this.#editor.text)}\r\n`);
    this.#waiter = null;
    this.#prompt = "";
    this.#noticedDrop = false;
    const line = this.#editor.take();
    if (waiter.history) this.#editor.remember(line);
    this.#draw();
    waiter.resolve(line);
  }

  async #complete(): Promise<void> {
    const waiter = this.#waiter;
    if (!waiter?.complete) return;
    const editor = this.#editor;
    const before = editor.text.slice(0, editor.cursor);
    const { from, candidates } = await waiter.complete(before);
    // The line may have changed while the completer ran.
    if (this.#waiter !== waiter || editor.text.slice(0, editor.cursor) !== before) return;
    if (candidates.length === 0) return;
    const prefix = commonPrefix(candidates);
    if (prefix.length > before.length - from) {
      editor.replaceBeforeCursor(from, prefix);
      this.#redraw();
      this.#flush();
    } else if (candidates.length > 1) {
      this.print(candidates.join("  "));
    }
  }
}

function commonPrefix(words: string[]): string {
  let prefix = words[0];
  for (const word of words) {
    while (!word.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}
