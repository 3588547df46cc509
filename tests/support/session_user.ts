/**
 * A real {@linkcode ChatSession} (the client's protocol logic) with its own
 * downloads folder, recording the lines a terminal would print.
 *
 * @module
 */
import { ChatSession, type RoomEvent } from "../../lib/client/session.ts";
import { SERVER_NAME } from "../../lib/shared/username.ts";

/** One user of the room, for end-to-end tests. */
export class SessionUser implements AsyncDisposable {
  readonly session: ChatSession;
  readonly events: RoomEvent[] = [];
  readonly downloads: string;
  /** Every frame the session sent and received, as `--trace` prints it. */
  readonly trace: string[] = [];
  #waiters: { match: (e: RoomEvent) => boolean; resolve: () => void }[] = [];

  constructor(port: number, downloads: string) {
    this.downloads = downloads;
    this.session = new ChatSession({
      hostname: "127.0.0.1",
      port,
      downloadsDir: downloads,
      trace: (line) => this.trace.push(line),
      onEvent: (event) => {
        this.events.push(event);
        this.#waiters = this.#waiters.filter((w) => !(w.match(event) && (w.resolve(), true)));
      },
    });
  }

  /** `sender: text` of every chat line, announcement and text attachment seen, in order. */
  get lines(): string[] {
    return this.linesSince(0);
  }

  /** Like {@linkcode lines}, for the events from index `start` on. */
  linesSince(start: number): string[] {
    return this.events.slice(start).flatMap((e) => {
      if (e.type === "chat") return [`${e.sender}: ${e.text}`];
      if (e.type === "announcement") return [`${SERVER_NAME}: ${e.text}`];
      if (e.type === "attachment") return [`${e.sender}: [file ${e.filename}]`];
      return [];
    });
  }

  /** Waits until an event matching `match` has been seen (now or later). */
  waitFor(match: (e: RoomEvent) => boolean, timeoutMs = 10_000): Promise<void> {
    if (this.events.some(match)) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const timer = setTimeout(
      () => reject(new Error(`Timed out; lines seen: ${JSON.stringify(this.lines)}`)),
      timeoutMs,
    );
    this.#waiters.push({ match, resolve: () => (clearTimeout(timer), resolve()) });
    return promise;
  }

  /** Waits for a line `sender: text` (see {@linkcode lines}). */
  waitForLine(line: string): Promise<void> {
    return this.waitFor(() => this.lines.includes(line));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.session.quit();
  }
}
