/**
 * Avatar images: which bytes count as an image, how big an avatar may be,
 * and what name it travels under. Pure functions, shared by the room (which
 * enforces the rules) and the GUI (which checks early and serves images).
 *
 * @module
 */
import { UNSAFE_CHARS } from "./text.ts";

/** Largest avatar accepted with a join request, in bytes (256 KiB). */
export const MAX_AVATAR_BYTES = 256 * 1024;

/** Longest avatar file name kept, in characters. */
export const MAX_AVATAR_NAME_CHARS = 64;

/** The image formats browsers display and we accept, recognised by magic bytes. */
export type ImageType = "png" | "jpeg" | "gif" | "webp";

/** The media type to serve each {@linkcode ImageType} with. */
export const IMAGE_MIME: Readonly<Record<ImageType, string>> = {
  png: "image/png",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
};

/** An avatar as it travels in a JOIN_REQUEST and in AVATAR frames. */
export interface AvatarImage {
  /** The avatar's file name, e.g. `me.png` (informational: the bytes decide the type). */
  filename: string;
  /** The image bytes. */
  bytes: Uint8Array;
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));

function startsWith(bytes: Uint8Array, prefix: number[], at = 0): boolean {
  return bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b);
}

/**
 * The image format of `bytes`, judged by their first bytes, or `null` if they
 * are none of PNG, JPEG, GIF or WebP. SVG is deliberately not an image here:
 * it can carry script.
 *
 * @example
 * ```ts
 * imageType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])); // "jpeg"
 * ```
 */
export function imageType(bytes: Uint8Array): ImageType | null {
  if (startsWith(bytes, PNG)) return "png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return "gif";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "webp";
  return null;
}

/**
 * Why `bytes` cannot be an avatar, as a clause that completes "The avatar is
 * not accepted: …", or `null` if they can.
 *
 * @example
 * ```ts
 * avatarProblem(new Uint8Array(0)); // "it is empty"
 * ```
 */
export function avatarProblem(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return "it is empty";
  if (bytes.length > MAX_AVATAR_BYTES) {
    return `it is ${bytes.length} bytes, over the limit of ${MAX_AVATAR_BYTES} bytes`;
  }
  if (!imageType(bytes)) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0"));
    return `it is not a PNG, JPEG, GIF or WebP image (it starts with bytes ${head.join(" ")})`;
  }
  return null;
}

/**
 * A safe base name for an avatar of the given type: no folders, no control
 * or formatting characters, at most {@linkcode MAX_AVATAR_NAME_CHARS}
 * characters, and `avatar.<type>` when nothing usable is left.
 *
 * @example
 * ```ts
 * avatarFileName("../../me.png", "png"); // "me.png"
 * avatarFileName("", "gif"); // "avatar.gif"
 * ```
 */
export function avatarFileName(filename: string, type: ImageType): string {
  const base = (filename.split(/[\\/]/).pop() ?? "")
    .replace(UNSAFE_CHARS, "_")
    .replace(/^[.\s]+/, "")
    .trim();
  const chars = [...base];
  const safe = chars.length > MAX_AVATAR_NAME_CHARS
    ? chars.slice(0, MAX_AVATAR_NAME_CHARS).join("")
    : base;
  return safe.length > 0 ? safe : `avatar.${type}`;
}
