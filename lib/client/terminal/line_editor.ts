/**
 * The state of the line being typed, without any terminal: the text, the
 * cursor (always on a grapheme boundary), history and the keys that edit
 * them. {@linkcode TtyConsole} draws it; keys come decoded by
 * `node:readline`'s `emitKeypressEvents`.
 *
 * @module
 */
import { nextBoundary, previousBoundary } from "./screen_layout.ts";

/** A key as `node:readline`'s `emitKeypressEvents` reports it. */
export interface Key {
  name?: string;
  sequence?: string;
  ctrl?: boolean;
  meta?: boolean;
  shift?: boolean;
}

/** What a key did, for the console to act on. */
export type KeyResult =
  | "edited"
  | "moved"
  | "ignored"
  | "submit"
  | "interrupt"
  | "end-of-input"
  | "clear-screen"
  | "complete";

/** Lines kept for Up and Down. */
const HISTORY_SIZE = 500;

// deno-lint-ignore no-control-regex -- control characters are what is dropped from typed text
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/gu;

/** Options for {@linkcode LineEditor}. */
export interface LineEditorOptions {
  /** Most UTF-16 units the line may hold; inserts beyond are cut. @default Infinity */
  maxLength?: number;
}

/**
 * A line being edited: Left, Right, Home, End, Up and Down (history),
 * Backspace and Delete by grapheme, Ctrl-A/E/B/F/U/K/W/Y, Alt-B/F and
 * Ctrl-Left/Right by word.
 *
 * @example
 * ```ts
 * const editor = new LineEditor();
 * editor.insert("helo");
 * editor.key({ name: "left" });
 * editor.insert("l");
 * editor.text; // "hello"
 * ```
 */
export class LineEditor {
  /** The line so far. */
  text = "";
  /** UTF-16 offset of the cursor in {@linkcode text}. */
  cursor = 0;
  /** UTF-16 units that did not fit under `maxLength` since the last {@linkcode take}. */
  dropped = 0;
  #maxLength: number;
  #history: string[] = [];
  /** Position in history while browsing: `#history.length` is the line being typed. */
  #browse = 0;
  #draft = "";
  #killed = "";

  /** Creates an empty line. */
  constructor(options: LineEditorOptions = {}) {
    this.#maxLength = options.maxLength ?? Infinity;
  }

  /** Inserts typed or pasted text at the cursor (control characters but tab dropped). */
  insert(typed: string): void {
    let text = typed.replace(CONTROL, "");
    const room = this.#maxLength - this.text.length;
    if (text.length > room) {
      // Cut on a grapheme boundary, never inside a surrogate pair.
      const cut = room <= 0 ? 0 : previousBoundary(text, room + 1);
      this.dropped += text.length - cut;
      text = text.slice(0, cut);
    }
    if (!text) return;
    this.text = this.text.slice(0, this.cursor) + text + this.text.slice(this.cursor);
    this.cursor += text.length;
  }

  /** True if the cursor is at the end of the line (where typing needs no redraw). */
  get atEnd(): boolean {
    return this.cursor === this.text.length;
  }

  /** Returns the line and starts a new one. */
  take(): string {
    const line = this.text;
    this.#browse = this.#history.length;
    this.#draft = "";
    this.text = "";
    this.cursor = 0;
    this.dropped = 0;
    return line;
  }

  /** Adds `line` to the history Up and Down browse, unless it is blank or a repeat. */
  remember(line: string): void {
    if (line.trim() === "" || this.#history.at(-1) === line) return;
    this.#history.push(line);
    if (this.#history.length > HISTORY_SIZE) this.#history.shift();
    this.#browse = this.#history.length;
  }

  /** Applies one key. */
  key(key: Key): KeyResult {
    const name = key.name ?? "";
    if (key.ctrl && !key.meta) {
      switch (name) {
        case "a":
          return this.#moveTo(0);
        case "e":
          return this.#moveTo(this.text.length);
        case "b":
          return this.#moveTo(previousBoundary(this.text, this.cursor));
        case "f":
          return this.#moveTo(nextBoundary(this.text, this.cursor));
        case "left":
          return this.#moveTo(this.#wordStart());
        case "right":
          return this.#moveTo(this.#wordEnd());
        case "u":
          return this.#kill(0, this.cursor);
        case "k":
          return this.#kill(this.cursor, this.text.length);
        case "w":
          return this.#kill(this.#wordStart(), this.cursor);
        case "y":
          return this.#yank();
        case "h":
          return this.#delete(previousBoundary(this.text, this.cursor), this.cursor);
        case "d":
          if (this.text === "") return "end-of-input";
          return this.#delete(this.cursor, nextBoundary(this.text, this.cursor));
        case "p":
          return this.#recall(-1);
        case "n":
          return this.#recall(1);
        case "c":
          return "interrupt";
        case "l":
          return "clear-screen";
        default:
          return "ignored";
      }
    }
    if (key.meta) {
      if (name === "b" || name === "left") return this.#moveTo(this.#wordStart());
      if (name === "f" || name === "right") return this.#moveTo(this.#wordEnd());
      if (name === "backspace") return this.#kill(this.#wordStart(), this.cursor);
      if (name === "d") return this.#kill(this.cursor, this.#wordEnd());
      return "ignored";
    }
    switch (name) {
      case "return":
      case "enter":
        return "submit";
      case "backspace":
        return this.#delete(previousBoundary(this.text, this.cursor), this.cursor);
      case "delete":
        return this.#delete(this.cursor, nextBoundary(this.text, this.cursor));
      case "left":
        return this.#moveTo(previousBoundary(this.text, this.cursor));
      case "right":
        return this.#moveTo(nextBoundary(this.text, this.cursor));
      case "home":
        return this.#moveTo(0);
      case "end":
        return this.#moveTo(this.text.length);
      case "up":
        return this.#recall(-1);
      case "down":
        return this.#recall(1);
      case "tab":
        return "complete";
    }
    const typed = key.sequence ?? "";
    if (typed && !typed.startsWith("\x1b") && typed.replace(CONTROL, "") === typed) {
      this.insert(typed);
      return "edited";
    }
    return "ignored";
  }

  /** Replaces the word before the cursor (from `from`) with `completion`. */
  replaceBeforeCursor(from: number, completion: string): void {
    this.text = this.text.slice(0, from) + completion + this.text.slice(this.cursor);
    this.cursor = from + completion.length;
  }

  #moveTo(at: number): KeyResult {
    if (at === this.cursor) return "ignored";
    this.cursor = at;
    return "moved";
  }

  #delete(from: number, to: number): KeyResult {
    if (from === to) return "ignored";
    this.text = this.text.slice(0, from) + this.text.slice(to);
    this.cursor = from;
    return "edited";
  }

  #kill(from: number, to: number): KeyResult {
    if (from === to) return "ignored";
    this.#killed = this.text.slice(from, to);
    return this.#delete(from, to);
  }

  #yank(): KeyResult {
    if (!this.#killed) return "ignored";
    this.insert(this.#killed);
    return "edited";
  }

  #wordStart(): number {
    const before = this.text.slice(0, this.cursor);
    return before.replace(/\S+\s*$|\s+$/u, "").length;
  }

  #wordEnd(): number {
    const match = /^\s*\S+/u.exec(this.text.slice(this.cursor));
    return this.cursor + (match ? match[0].length : this.text.length - this.cursor);
  }

  #recall(step: -1 | 1): KeyResult {
    const next = this.#browse + step;
    if (next < 0 || next > this.#history.length) return "ignored";
    if (this.#browse === this.#history.length) this.#draft = this.text;
    this.#browse = next;
    this.text = next === this.#history.length ? this.#draft : this.#history[next];
    this.cursor = this.text.length;
    return "edited";
  }
}
