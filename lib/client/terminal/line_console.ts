/**
 * What the terminal client reads lines from and prints lines to: a
 * {@linkcode LineConsole}. Two kinds: `TtyConsole` (a terminal in raw mode,
 * with a line editor) and `PipedConsole` (piped input, so the client can be
 * scripted and tested).
 *
 * @module
 */

/**
 * Longest input line accepted, in UTF-16 units: sixteen or more chat
 * messages' worth. A longer piped line is refused whole, with a notice; a
 * terminal stops taking characters there, with a notice.
 */
export const MAX_LINE_CHARS = 1024 * 1024;

/** What a console reads bytes from. */
export interface ByteSource {
  read(p: Uint8Array): Promise<number | null>;
}

/** Options for {@linkcode LineConsole.readLine}. */
export interface ReadLineOptions {
  /** Aborting it makes the wait return `null`. */
  signal?: AbortSignal;
  /** Up and Down recall lines read with this set. @default false */
  history?: boolean;
  /** Tab completes the text before the cursor with what this returns. @default none */
  complete?: Completer;
}

/**
 * Completions for `before` (the text before the cursor): the candidates and
 * the offset in `before` where the completed word starts.
 */
export type Completer = (before: string) => Promise<{ from: number; candidates: string[] }>;

/** Options for {@linkcode LineConsole.print}. */
export interface PrintOptions {
  /** Indent of the rows a wrapped line continues on (see {@linkcode LineConsole.print}). */
  indent?: string;
}

/** Reads lines and prints lines without mixing the two up. */
export interface LineConsole {
  /**
   * Shows `prompt` and waits for the next line (without its line ending).
   * Returns `null` if `options.signal` aborts first.
   *
   * @throws {InputClosed} when the input has ended.
   */
  readLine(prompt?: string, options?: ReadLineOptions): Promise<string | null>;
  /**
   * Prints a line above whatever the user is typing. With `options.indent`,
   * a line that holds another user's text: a console with a screen wraps it
   * itself, its further rows indented so, so that no text of it can start
   * a row and pass for a line of its own.
   */
  print(line: string, options?: PrintOptions): void;
  /**
   * Shows `text` (or, with `null`, removes it) on a status line kept above
   * the line being typed, updated in place; consoles without a screen ignore it.
   */
  status(text: string | null): void;
  /** Ends the line the user was typing on, if any, so the shell's prompt starts on a fresh line. */
  finish(): void;
}

/** The user closed the input (Ctrl-D or end of piped input). */
export class InputClosed extends Error {
  /** Creates the error. */
  constructor() {
    super("The input was closed");
    this.name = "InputClosed";
  }
}

/** The notice printed for a line over {@linkcode MAX_LINE_CHARS}. */
export function tooLongNotice(length: number): string {
  return `That line is ${length} characters long, over the limit of ${MAX_LINE_CHARS}; ` +
    "it was not sent.";
}
