/**
 * The terminal client: the assignment's menu, prompts and chat lines, word
 * for word, over a {@linkcode ChatSession} and a {@linkcode LineConsole}.
 *
 * @module
 */
import { ChatSession, type RoomEvent, type TransferProgress } from "../session.ts";
import { ConnectionError, RequestError } from "../connection_error.ts";
import { type FreeSpace } from "../download_limit.ts";
import { InputClosed, type LineConsole, type PrintOptions } from "./line_console.ts";
import { decodeText, inertText, looksLikeText } from "../../shared/text.ts";
import { inertLines } from "./inert_lines.ts";
import { formatBytes, stamp } from "../../shared/format.ts";
import { SERVER_NAME } from "../../shared/username.ts";
import { MAX_CHAT_BYTES } from "../../shared/chat_limit.ts";
import { splitMessage } from "../split_message.ts";
import { typedPath } from "./typed_path.ts";
import { completePath } from "./path_completer.ts";
import { ProgressMeter } from "./progress_line.ts";

/** The menu, exactly as the assignment prints it. */
export const MENU = [
  "Please select one of the following options:",
  "1. Get a report of the chatroom from the server.",
  "2. Request to join the chatroom.",
  "3. Quit the program.",
];

/** Texts the terminal client prints, in one place. */
export const PROMPT = {
  choice: "Your choice: ",
  username: "Please enter a username: ",
  file: "Please enter the file path and name: ",
} as const;

/** Lines printed when a join is accepted, before the history. */
export const WELCOME = [
  "The server welcomes you to the chatroom.",
  "Type lowercase 'q' and press enter at any time to quit the chatroom.",
  "Type lowercase 'a' and press enter at any time to upload an attachment to the chatroom.",
  "Here is a history of the chatroom.",
];

/** How soon a progress update held back by the throttle is shown anyway. */
const PROGRESS_CATCH_UP_MS = 250;

/** Uploads at least this big get a line saying they are under way. */
const ANNOUNCE_UPLOAD_BYTES = 1024 * 1024;

/** Options for {@linkcode TerminalApp}. */
export interface TerminalAppOptions {
  console: LineConsole;
  hostname: string;
  port: number;
  /** @default "downloads" */
  downloadsDir?: string;
  /** Print every frame sent and received. @default false */
  trace?: boolean;
  /** Largest attachment saved, in bytes. @default 1073741824 (1 GiB) */
  maxDownload?: number;
  /** Tells the free bytes in the downloads folder, if it can. @default none: not checked */
  freeSpace?: FreeSpace;
}

/** Runs the menu and the chatroom in a terminal. */
export class TerminalApp {
  #console: LineConsole;
  #session: ChatSession;
  #options: TerminalAppOptions;
  #roomExit: AbortController | null = null;
  #interrupted = Promise.withResolvers<void>();
  /** Ctrl-C came: the app is stopping, and says and reads nothing more. */
  #stopping = false;
  #meter = new ProgressMeter();
  #progressTimer?: ReturnType<typeof setTimeout>;

  /** Creates the app; {@linkcode run} starts it. */
  constructor(options: TerminalAppOptions) {
    this.#options = options;
    this.#console = options.console;
    this.#session = new ChatSession({
      hostname: options.hostname,
      port: options.port,
      downloadsDir: options.downloadsDir,
      maxDownload: options.maxDownload,
      freeSpace: options.freeSpace,
      onEvent: (event) => this.#show(event),
      onProgress: (progress) => this.#progress(progress),
      trace: options.trace ? (line) => this.#console.print(line) : undefined,
    });
  }

  /** Runs until the user quits or the input ends. Returns the exit code. */
  async run(): Promise<number> {
    const interrupted = this.#interrupted.promise.then(() => 130);
    const result = await Promise.race([this.#menu(), interrupted]);
    await this.#session.quit();
    clearTimeout(this.#progressTimer);
    return result;
  }

  /** Ctrl-C: leave the chatroom cleanly and stop. */
  interrupt(): void {
    this.#stopping = true;
    this.#interrupted.resolve();
  }

  /**
   * Shows a transfer's progress on the console's status line. An update
   * held back by the meter's throttle is shown a moment later, so a
   * transfer that stalls shows how far it really got.
   */
  #progress(progress: TransferProgress): void {
    const text = this.#meter.update(progress);
    if (text !== undefined) {
      clearTimeout(this.#progressTimer);
      this.#progressTimer = undefined;
      this.#console.status(text);
    } else if (this.#meter.active && this.#progressTimer === undefined) {
      this.#progressTimer = setTimeout(() => {
        this.#progressTimer = undefined;
        if (this.#meter.active) this.#console.status(this.#meter.text());
      }, PROGRESS_CATCH_UP_MS);
    }
  }

  #print(line = "", options?: PrintOptions): void {
    this.#console.print(line, options);
  }

  async #menu(): Promise<number> {
    try {
      while (!this.#stopping) {
        this.#print();
        for (const line of MENU) this.#print(line);
        const choice = (await this.#console.readLine(PROMPT.choice))!.trim();
        if (choice === "1") await this.#report();
        else if (choice === "2") await this.#join();
        else if (choice === "3") {
          await this.#session.close();
          return 0;
        } else this.#print(`Please enter 1, 2 or 3 (you entered ${JSON.stringify(choice)}).`);
      }
      return 130;
    } catch (error) {
      if (error instanceof InputClosed) return 0;
      throw error;
    }
  }

  async #report(): Promise<void> {
    try {
      const { count, users } = await this.#session.report();
      this.#print(
        count === 1
          ? "There is 1 active user in the chatroom."
          : `There are ${count} active users in the chatroom.`,
      );
      users.forEach((u, i) =>
        this.#print(
          `${i + 1}. ${inertLines(u.username)} at IP: ${
            inertLines(u.hostname)
          } and port: ${u.port}.`,
        )
      );
    } catch (error) {
      // Ended by Ctrl-C, not by the server: nothing to report.
      if (!this.#stopping) this.#print(this.#connectionProblem(error));
    }
  }

  async #join(): Promise<void> {
    const username = (await this.#console.readLine(PROMPT.username))!.trim();
    let result;
    try {
      result = await this.#session.join(username);
    } catch (error) {
      if (!this.#stopping) this.#print(this.#connectionProblem(error));
      return;
    }
    if (!result.accepted) {
      this.#print(inertLines(result.text));
      return;
    }
    await this.#room();
  }

  async #room(): Promise<void> {
    const exit = new AbortController();
    this.#roomExit = exit;
    try {
      while (this.#session.username !== null) {
        const line = await this.#console.readLine("", { signal: exit.signal, history: true });
        if (line === null) return;
        // " q " is q: spaces around a command are easy to type and never meant.
        const command = line.trim();
        if (command === "q") {
          await this.#session.quit();
          return;
        }
        if (command === "a") {
          const path = await this.#console.readLine(PROMPT.file, {
            signal: exit.signal,
            complete: completePath,
          });
          if (path === null) return;
          await this.#upload(typedPath(path));
        } else if (command !== "") {
          this.#say(line);
        }
      }
    } catch (error) {
      if (error instanceof InputClosed) await this.#session.quit();
      throw error;
    } finally {
      this.#roomExit = null;
    }
  }

  /** Sends a line; one over the server's limit goes as several messages, in order. */
  #say(line: string): void {
    // A part of nothing but spaces would be refused by the server: its spaces are all it loses.
    const parts = splitMessage(line).filter((part) => part.trim() !== "");
    try {
      for (const part of parts) this.#session.say(part);
    } catch (error) {
      this.#print(this.#connectionProblem(error));
      return;
    }
    if (parts.length > 1) {
      this.#print(
        `(Your line of ${line.length} characters was sent as ${parts.length} messages: ` +
          `the server takes at most ${MAX_CHAT_BYTES} bytes in one.)`,
      );
    }
  }

  async #upload(path: string): Promise<void> {
    if (!path) {
      this.#print("Upload cancelled: no file path was given.");
      return;
    }
    try {
      const { size, name } = await this.#session.upload(path);
      if (size >= ANNOUNCE_UPLOAD_BYTES) {
        this.#print(`Uploading ${inertText(name)} (${formatBytes(size)})…`);
      }
    } catch (error) {
      // A RequestError already says what could not be sent, and why.
      if (error instanceof RequestError) this.#print(`${inertLines(error.message)}.`);
      else this.#print(`Cannot send ${inertText(path)}: ${fileProblem(error)}.`);
    }
  }

  #show(event: RoomEvent): void {
    switch (event.type) {
      case "joined":
        for (const line of WELCOME) this.#print(line);
        if (event.historyCount === 0) this.#print("(The chatroom has no history yet.)");
        return;
      case "chat":
        return this.#line(event.timestamp, event.sender, event.text);
      case "announcement":
        return this.#line(event.timestamp, SERVER_NAME, event.text);
      case "attachment":
        return this.#showAttachment(event);
      case "discarded":
        return this.#line(event.timestamp, event.sender, discardedText(event));
      case "error":
        return this.#print(inertLines(event.text));
      case "disconnected":
        this.#print(inertLines(event.reason));
        this.#roomExit?.abort();
        return;
      case "history-end":
      case "left":
      case "avatar":
        return;
    }
  }

  #line(timestamp: number, sender: string, text: string): void {
    // Today's lines as the assignment prints them, older ones with their date.
    const time = `[${stamp(timestamp)}] `;
    // Continuation lines start under the sender, past the time.
    const indent = " ".repeat(time.length);
    // Wrapped by the console too, so that no row of someone's text starts at the left edge.
    this.#print(`${time}${inertText(sender)}: ${inertLines(text, indent)}`, { indent });
  }

  #showAttachment(event: Extract<RoomEvent, { type: "attachment" }>): void {
    const name = inertText(event.filename);
    if ("error" in event.file) {
      this.#line(event.timestamp, event.sender, `[attachment ${name} could not be saved]`);
      this.#print(`  ${inertLines(event.file.error)}`);
      return;
    }
    const file = event.file;
    const where = `${name}, ${formatBytes(file.size)}, saved to ${inertText(file.path)}`;
    if (file.size <= file.head.length && file.size > 0 && looksLikeText(file.head)) {
      const text = decodeText(file.head).replace(/\r?\n$/, "");
      this.#line(event.timestamp, event.sender, text);
      this.#print(`  (attachment ${where})`);
    } else {
      this.#line(event.timestamp, event.sender, `[attachment ${where}]`);
    }
  }

  #connectionProblem(error: unknown): string {
    const where = `${this.#options.hostname}:${this.#options.port}`;
    if (error instanceof Deno.errors.ConnectionRefused) {
      return `Cannot reach the server at ${where}: the connection was refused. Is the server running?`;
    }
    // A ConnectionError's text may be the server's (an ERROR before joining).
    if (error instanceof ConnectionError) return inertLines(error.message);
    if (error instanceof RequestError) return inertLines(error.message);
    if (error instanceof Error) {
      return `Cannot reach the server at ${where}: ${inertLines(error.message)}`;
    }
    throw error;
  }
}

/**
 * The one line for an attachment the server gave up while forwarding it,
 * e.g. `[attachment big.bin discarded: Fire's upload of big.bin broke off after 12.0 MiB of 100 MiB.]`.
 */
export function discardedText(event: Extract<RoomEvent, { type: "discarded" }>): string {
  const reason = event.reason.trim();
  const name = inertText(event.filename);
  return reason
    ? `[attachment ${name} discarded: ${inertText(reason)}]`
    : `[attachment ${name} discarded]`;
}

function fileProblem(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "it is a folder, not a file";
  if (error instanceof ConnectionError) return inertLines(error.message);
  if (error instanceof Error) return inertLines(error.message);
  throw error;
}
