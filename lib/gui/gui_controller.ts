/**
 * The GUI's side of the client process: one {@linkcode ChatSession}, any
 * number of open pages. Page commands run one at a time; room events become
 * page messages, and are kept so a reloaded page shows the same chat.
 *
 * @module
 */
import { ChatSession } from "../client/session.ts";
import type { TransferProgress } from "../client/attachment_streams.ts";
import type { FreeSpace } from "../client/download_limit.ts";
import { errorText } from "../shared/error_text.ts";
import { listAttachments, resolveAttachment } from "./attachments_folder.ts";
import type { FromPage, ToPage } from "./page_protocol.ts";
import { decodeAvatar, type ServedAvatar, type ServedFile } from "./page_media.ts";
import { RoomView } from "./room_view.ts";
import { StagedUploads } from "./staged_uploads.ts";
import { splitMessage } from "../client/split_message.ts";

/** An open page, as the controller talks to it. */
export interface PageLink {
  send(message: ToPage): void;
}

/** Options for {@linkcode GuiController}. */
export interface GuiControllerOptions {
  /** The chat server. */
  hostname: string;
  port: number;
  /** Where received files are saved. @default "downloads" */
  downloadsDir?: string;
  /** The folder the file box searches. @default "attachments" */
  attachmentsDir?: string;
  /** Receives `--trace` lines, if tracing. */
  trace?: (line: string) => void;
  /** Told about problems no page asked about (e.g. a staged file that cannot be removed). */
  log?: (line: string) => void;
  /** Chat lines kept for pages that (re)connect. @default 2000 */
  maxEntries?: number;
  /** Largest attachment saved, in bytes. @default 1073741824 (1 GiB) */
  maxDownload?: number;
  /** Tells the free bytes in the downloads folder, if it can. @default none: not checked */
  freeSpace?: FreeSpace;
}

/** Bridges pages and the chat session. */
export class GuiController {
  #options: GuiControllerOptions;
  #session: ChatSession;
  #pages = new Set<PageLink>();
  #view: RoomView;
  #queue: Promise<unknown> = Promise.resolve();
  #staged: StagedUploads;
  #percent = new Map<string, number>();

  /** Creates the controller; nothing connects until a page asks. */
  constructor(options: GuiControllerOptions) {
    this.#options = options;
    this.#staged = new StagedUploads(options.log);
    this.#view = new RoomView({
      broadcast: (message) => this.#broadcast(message),
      refreshMembers: () => this.#refreshMembers(),
      onOwnFile: (filename) => this.#staged.release(filename),
      maxEntries: options.maxEntries,
    });
    this.#session = new ChatSession({
      hostname: options.hostname,
      port: options.port,
      downloadsDir: options.downloadsDir,
      trace: options.trace,
      maxDownload: options.maxDownload,
      freeSpace: options.freeSpace,
      onEvent: (event) => this.#view.apply(event),
      onProgress: (progress) => this.#onProgress(progress),
    });
  }

  /** Adds a page and tells it the current state. Returns the function that removes it. */
  connect(page: PageLink): () => void {
    this.#pages.add(page);
    page.send(this.#view.hello(`${this.#options.hostname}:${this.#options.port}`));
    return () => this.#pages.delete(page);
  }

  /** Runs a page's command after those before it; failures are told to that page. */
  command(page: PageLink, message: FromPage): Promise<void> {
    return this.#enqueue(async () => {
      try {
        await this.#run(page, message);
      } catch (error) {
        const text = this.#problem(error);
        page.send(
          message.t === "join" ? { t: "join-result", ok: false, text } : { t: "problem", text },
        );
      }
    });
  }

  /** The file the session saved under `id`, if any. */
  file(id: string): ServedFile | undefined {
    return this.#view.file(id);
  }

  /** The avatar of the user whose key is `key`, if one was received. */
  avatar(key: string): ServedAvatar | undefined {
    return this.#view.avatar(key);
  }

  /**
   * Uploads a file the page sent, staged at `path` (alone in its own
   * folder), under the name `name`. The folder is deleted once the room's
   * copy comes back.
   */
  uploadStaged(path: string, name: string): Promise<{ size: number }> {
    return this.#enqueue(async () => {
      if (this.#session.username === null) throw new Error("Cannot send a file: join first");
      const result = await this.#session.upload(path, { filename: name });
      this.#staged.add(result.name, path);
      return { size: result.size };
    });
  }

  /** Leaves the room (if in it) and closes the connection. */
  close(): Promise<void> {
    return this.#enqueue(() => this.#session.quit());
  }

  /** A sentence for the page about a failed command. */
  #problem(error: unknown): string {
    const where = `${this.#options.hostname}:${this.#options.port}`;
    if (error instanceof Deno.errors.ConnectionRefused) {
      return `Cannot reach the server at ${where}: the connection was refused. Is the server running?`;
    }
    if (error instanceof Deno.errors.NotFound && /lookup|dns/i.test(error.message)) {
      return `Cannot reach the server at ${where}: ${error.message}`;
    }
    return errorText(error);
  }

  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job);
    this.#queue = run.catch(() => {/* the caller of this job handles its error */});
    return run;
  }

  async #run(page: PageLink, m: FromPage): Promise<void> {
    const attachments = this.#options.attachmentsDir ?? "attachments";
    switch (m.t) {
      case "report": {
        const { count, users } = await this.#session.report();
        return page.send({ t: "report", count, users });
      }
      case "join": {
        const avatar = m.avatar ? decodeAvatar(m.avatar) : undefined;
        const result = await this.#session.join(m.username.trim(), avatar);
        return page.send({
          t: "join-result",
          ok: result.accepted,
          text: result.accepted ? "" : result.text,
        });
      }
      case "say":
        if (this.#session.username === null) {
          throw new Error("You are not in the chatroom; join it first.");
        }
        // Text over the server's limit goes as several messages, in order: nothing is cut off.
        for (const part of splitMessage(m.text)) if (part.trim() !== "") this.#session.say(part);
        return;
      case "files":
        return page.send({ t: "files", names: await listAttachments(attachments) });
      case "send-file": {
        const path = await resolveAttachment(attachments, m.name);
        if (!path) {
          throw new Error(`Cannot send ${m.name}: there is no such file in ${attachments}/`);
        }
        if (this.#session.username === null) throw new Error("Cannot send a file: join first");
        const folder = attachments.split(/[\\/]/).filter(Boolean).pop() ?? "attachments";
        await this.#session.upload(path, { filename: `${folder}/${m.name}` });
        return;
      }
      case "quit":
        return await this.#session.quit();
      case "dismiss":
        return this.#view.dismiss();
    }
  }

  #broadcast(message: ToPage): void {
    for (const page of this.#pages) page.send(message);
  }

  #refreshMembers(): void {
    void this.#enqueue(async () => {
      if (this.#session.username === null) return;
      try {
        const { users } = await this.#session.report();
        this.#broadcast({ t: "members", users });
      } catch (error) {
        this.#broadcast({
          t: "problem",
          text: `Cannot list the users in the room: ${errorText(error)}`,
        });
      }
    });
  }

  #onProgress(p: TransferProgress): void {
    const percent = p.total === 0 ? 100 : Math.floor((p.done * 100) / p.total);
    const key = p.id === undefined ? p.direction : `${p.direction} ${p.id}`;
    if (this.#percent.get(key) === percent && p.done !== p.total) return;
    if (p.done === p.total && p.id !== undefined) this.#percent.delete(key);
    else this.#percent.set(key, p.done === p.total ? -1 : percent);
    this.#broadcast({
      t: "progress",
      direction: p.direction,
      id: p.id,
      name: p.filename.split(/[\\/]/).pop()!,
      done: p.done,
      total: p.total,
    });
  }
}
