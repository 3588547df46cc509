/**
 * The JSON messages the GUI page and the client process exchange over the
 * WebSocket. The page never speaks the chat protocol; the process does,
 * through a {@linkcode ChatSession}.
 *
 * @module
 */
import type { ReportedUser } from "../client/session.ts";
import { errorText } from "../shared/error_text.ts";

/** Largest WebSocket message accepted from the page (an avatar in base64 fits). */
export const MAX_PAGE_MESSAGE_BYTES = 1024 * 1024;

/** An attachment as the page shows it. */
export interface PageFile {
  /** Token-less URL of the saved copy, e.g. `/file/3`; absent if it could not be saved. */
  url?: string;
  /** The name the sender gave it. */
  name: string;
  size: number;
  /** How to show it: inline image, its text, or a download link. */
  show: "image" | "text" | "download";
  /** The content, for `show: "text"`. */
  text?: string;
  /** Why it could not be saved, if it could not. */
  error?: string;
}

/** One line of the chat screen. */
export interface PageEntry {
  kind: "chat" | "join" | "leave" | "notice" | "file" | "error";
  /** Milliseconds since the Unix epoch (0 for local errors). */
  ts: number;
  /** Author of a chat line or file; the user who joined or left. */
  sender: string;
  text: string;
  /** Replayed from the room's history rather than live. */
  history: boolean;
  file?: PageFile;
}

/** A session the server ended, as the page keeps showing it. */
export interface LostSession {
  /** Who we were in the room. */
  username: string;
  /** Why it ended, e.g. `The server closed the connection.` */
  reason: string;
}

/** What the page may ask of the process. */
export type FromPage =
  | { t: "report" }
  | { t: "join"; username: string; avatar?: { name: string; data: string } }
  | { t: "say"; text: string }
  | { t: "files" }
  | { t: "send-file"; name: string }
  | { t: "quit" }
  /** Forget a lost session's conversation: the page went back to the join screen. */
  | { t: "dismiss" };

/** What the process tells the page. */
export type ToPage =
  | {
    t: "hello";
    server: string;
    username: string | null;
    entries: PageEntry[];
    historyEnded: boolean;
    avatars: { key: string; url: string }[];
    /**
     * The session that ended under us (the server went away) while `username` is null: the
     * page keeps its conversation (`entries`) on screen, says why and offers to reconnect.
     */
    lost: LostSession | null;
  }
  | { t: "report"; count: number; users: ReportedUser[] }
  | { t: "join-result"; ok: boolean; text: string }
  | { t: "joined"; username: string }
  | { t: "entry"; entry: PageEntry }
  | { t: "history-end" }
  | { t: "avatar"; key: string; url: string | null }
  | { t: "members"; users: ReportedUser[] }
  | { t: "left" }
  | { t: "disconnected"; reason: string }
  | { t: "problem"; text: string }
  | { t: "files"; names: string[] }
  | {
    t: "progress";
    direction: "upload" | "download";
    /** The transfer id of a download forwarded as it arrives (several may run at once). */
    id?: number;
    name: string;
    done: number;
    total: number;
  };

/** A message from the page that is not one of {@linkcode FromPage}. */
export class PageMessageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "PageMessageError";
  }
}

const str = (v: unknown): v is string => typeof v === "string";

/**
 * Checks that `raw` (the text of a WebSocket message) is a {@linkcode FromPage}.
 *
 * @throws {PageMessageError} naming what is wrong with it.
 */
export function parseFromPage(raw: string): FromPage {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new PageMessageError(`Cannot read the page's message: ${errorText(error)}`);
  }
  const m = value as Record<string, unknown> | null;
  const bad = (what: string) =>
    new PageMessageError(`Cannot handle the page's message ${JSON.stringify(m?.t)}: ${what}`);
  if (typeof m !== "object" || m === null || !str(m.t)) throw bad("it has no type");
  switch (m.t) {
    case "report":
    case "files":
    case "quit":
    case "dismiss":
      return { t: m.t };
    case "say":
      if (!str(m.text)) throw bad("text is not a string");
      return { t: "say", text: m.text };
    case "send-file":
      if (!str(m.name)) throw bad("name is not a string");
      return { t: "send-file", name: m.name };
    case "join": {
      if (!str(m.username)) throw bad("username is not a string");
      const a = m.avatar as Record<string, unknown> | undefined;
      if (a === undefined || a === null) return { t: "join", username: m.username };
      if (!str(a.name) || !str(a.data)) throw bad("avatar needs a name and base64 data");
      return { t: "join", username: m.username, avatar: { name: a.name, data: a.data } };
    }
    default:
      throw bad("the type is unknown");
  }
}
