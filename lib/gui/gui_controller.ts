/**
 * The GUI's side of the client process: one {@linkcode ChatSession}, any
 * number of open pages. Page commands run one at a time; room events become
 * page messages, and are kept so a reloaded page shows the same chat.
 *
 * @module
 */
import { ChatSession, type RoomEvent, type TransferProgress } from "../client/session.ts";
import { avatarProblem, IMAGE_MIME, imageType } from "../shared/avatar.ts";
import { listAttachments, resolveAttachment } from "./attachments_folder.ts";
import type { FromPage, PageEntry, ToPage } from "./page_protocol.ts";
import {
  decodeAvatar,
  describeAttachment,
  type ServedAvatar,
  type ServedFile,
} from "./page_media.ts";
import { errorText } from "../shared/error_text.ts";

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
}

/** Bridges pages and the chat session. */
export class GuiController {
  #options: GuiControllerOptions;
  #session: ChatSession;
  #pages = new Set<PageLink>();
  #username: string | null = null;
  #entries: PageEntry[] = [];
  #historyEnded = false;
  #avatars = new Map<string, ServedAvatar>();
  #avatarVersion = 0;
  #freshAvatar: string | null = null;
  #files = new Map<string, ServedFile>();
  #nextFile = 1;
  #queue: Promise<unknown> = Promise.resolve();
  #staged = new Map<string, string[]>();
  #percent = new Map<string, number>();

  /** Creates the controller; nothing connects until a page asks. */
  constructor(options: GuiControllerOptions) {
    this.#options = options;
    this.#session = new ChatSession({
      hostname: options.hostname,
      port: options.port,
      downloadsDir: options.downloadsDir,
      trace: options.trace,
      onEvent: (event) => this.#onEvent(event),
      onProgress: (progress) => this.#onProgress(progress),
    });
  }

  /** Adds a page and tells it the current state. Returns the function that removes it. */
  connect(page: PageLink): () => void {
    this.#pages.add(page);
    page.send({
      t: "hello",
      server: `${this.#options.hostname}:${this.#options.port}`,
      username: this.#username,
      entries: this.#entries,
      historyEnded: this.#historyEnded,
      avatars: [...this.#avatars.keys()].map((key) => ({ key, url: this.#avatarUrl(key) })),
    });
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
    return this.#files.get(id);
  }

  /** The avatar of the user whose key is `key`, if one was received. */
  avatar(key: string): ServedAvatar | undefined {
    return this.#avatars.get(key);
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
      this.#staged.set(result.name, [...this.#staged.get(result.name) ?? [], path]);
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
        if (m.text.trim() !== "") this.#session.say(m.text);
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
    }
  }

  #broadcast(message: ToPage): void {
    for (const page of this.#pages) page.send(message);
  }

  #add(entry: PageEntry): void {
    this.#entries.push(entry);
    const max = this.#options.maxEntries ?? 2000;
    if (this.#entries.length > max) this.#entries.splice(0, this.#entries.length - max);
    this.#broadcast({ t: "entry", entry });
  }

  #onEvent(event: RoomEvent): void {
    switch (event.type) {
      case "joined":
        this.#username = event.username;
        this.#entries = [];
        this.#historyEnded = false;
        this.#avatars.clear();
        return this.#broadcast({ t: "joined", username: event.username });
      case "history-end":
        this.#historyEnded = true;
        this.#broadcast({ t: "history-end" });
        return this.#refreshMembers();
      case "chat":
        return this.#add({
          kind: "chat",
          ts: event.timestamp,
          sender: event.sender,
          text: event.text,
          history: event.history,
        });
      case "announcement":
        return this.#announce(event);
      case "attachment":
        return this.#attachment(event);
      case "avatar":
        return this.#setAvatar(event);
      case "error":
        return this.#add({
          kind: "error",
          ts: Date.now(),
          sender: "",
          text: event.text,
          history: false,
        });
      case "left":
      case "disconnected":
        this.#username = null;
        return this.#broadcast(
          event.type === "left" ? { t: "left" } : { t: "disconnected", reason: event.reason },
        );
    }
  }

  #announce(event: Extract<RoomEvent, { type: "announcement" }>): void {
    const key = avatarKey(event.username);
    if (!event.history && event.kind === "join" && event.username !== this.#username) {
      // The server sends a newcomer's avatar right before NEW_USER; none means the
      // newcomer has none, even if an earlier user of that name had one.
      if (this.#freshAvatar !== key && this.#avatars.delete(key)) {
        this.#broadcast({ t: "avatar", key, url: null });
      }
    }
    this.#freshAvatar = null;
    this.#add({
      kind: event.kind,
      ts: event.timestamp,
      sender: event.username,
      text: event.text,
      history: event.history,
    });
    if (!event.history && event.kind !== "notice") this.#refreshMembers();
  }

  #attachment(event: Extract<RoomEvent, { type: "attachment" }>): void {
    const file = describeAttachment(event, (served) => {
      const id = String(this.#nextFile++);
      this.#files.set(id, served);
      return `/file/${id}`;
    });
    this.#add({
      kind: "file",
      ts: event.timestamp,
      sender: event.sender,
      text: "",
      history: event.history,
      file,
    });
    if (!event.history && event.sender === this.#username) {
      const staged = this.#staged.get(event.filename)?.shift();
      if (staged) {
        const folder = staged.slice(0, staged.lastIndexOf("/"));
        Deno.remove(folder, { recursive: true }).catch((error) =>
          this.#options.log?.(`Cannot remove the staged copy in ${folder}: ${error.message}`)
        );
      }
    }
  }

  #setAvatar(event: Extract<RoomEvent, { type: "avatar" }>): void {
    const type = imageType(event.bytes);
    if (!type || avatarProblem(event.bytes)) return; // the server validates; never serve anything else
    const key = avatarKey(event.username);
    this.#avatars.set(key, {
      bytes: event.bytes,
      mime: IMAGE_MIME[type],
      version: ++this.#avatarVersion,
    });
    this.#freshAvatar = key;
    this.#broadcast({ t: "avatar", key, url: this.#avatarUrl(key) });
  }

  #avatarUrl(key: string): string {
    return `/avatar/${encodeURIComponent(key)}?v=${this.#avatars.get(key)!.version}`;
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
    if (this.#percent.get(p.direction) === percent && p.done !== p.total) return;
    this.#percent.set(p.direction, p.done === p.total ? -1 : percent);
    this.#broadcast({
      t: "progress",
      direction: p.direction,
      name: p.filename.split(/[\\/]/).pop()!,
      done: p.done,
      total: p.total,
    });
  }
}

/**
 * The key the page files a user's avatar under: the same as `userKey` in
 * page_js.ts (NFKC, lower case), since the page looks avatars up by name.
 * Not the room's `usernameKey`, whose look-alike table the page lacks.
 */
function avatarKey(name: string): string {
  return name.normalize("NFKC").toLowerCase();
}
