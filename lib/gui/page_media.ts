/**
 * Files and avatars as the GUI page sees them: how a received attachment is
 * shown (inline image, its text, or a download), what the page may load,
 * and the avatar the page sends, checked before it goes anywhere.
 *
 * @module
 */
import type { RoomEvent } from "../client/session.ts";
import { type AvatarImage, avatarProblem, IMAGE_MIME, imageType } from "../shared/avatar.ts";
import { decodeText, inertText, looksLikeText } from "../shared/text.ts";
import type { PageFile } from "./page_protocol.ts";
import { errorText } from "../shared/error_text.ts";

/** A file the session saved, which the page may load by its id. */
export interface ServedFile {
  path: string;
  name: string;
  size: number;
  /** The image type to serve it as, or `null` to offer it as a download only. */
  mime: string | null;
}

/** An avatar held in memory, which the page may load by its user's key. */
export interface ServedAvatar {
  bytes: Uint8Array;
  mime: string;
  version: number;
}

/**
 * How the page shows an attachment the session received. A saved file is
 * handed to `register`, which returns the (token-less) URL it is served at.
 * Only PNG, JPEG, GIF and WebP, judged by their bytes, are shown as images;
 * small UTF-8 files are shown as text; anything else is a download.
 */
export function describeAttachment(
  event: Extract<RoomEvent, { type: "attachment" }>,
  register: (file: ServedFile) => string,
): PageFile {
  // Shown as the terminal shows it: a bidi override cannot make `x\u202efdp.exe` read `xexe.pdf`.
  const base = { name: inertText(event.filename), size: event.size };
  if ("error" in event.file) return { ...base, show: "download", error: event.file.error };
  const saved = event.file;
  const type = imageType(saved.head);
  const url = register({
    path: saved.path,
    name: saved.name,
    size: saved.size,
    mime: type ? IMAGE_MIME[type] : null,
  });
  const isText = !type && saved.size > 0 && saved.size <= saved.head.length &&
    looksLikeText(saved.head);
  return {
    ...base,
    url,
    show: type ? "image" : isText ? "text" : "download",
    text: isText ? decodeText(saved.head) : undefined,
  };
}

/**
 * The avatar the page sent (base64), decoded and checked with the room's
 * own rules, so a bad one is refused before anything is sent.
 *
 * @throws {Error} naming the avatar and saying what is wrong with it.
 */
export function decodeAvatar(avatar: { name: string; data: string }): AvatarImage {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(avatar.data), (c) => c.charCodeAt(0));
  } catch (error) {
    throw new Error(
      `The avatar ${avatar.name} could not be read: its data is not base64 (${errorText(error)}).`,
    );
  }
  const problem = avatarProblem(bytes);
  if (problem) throw new Error(`The avatar ${avatar.name} is not accepted: ${problem}.`);
  return { filename: avatar.name, bytes };
}
