/**
 * Username rules shared by the server (which enforces them) and the client
 * (which checks early to save a round trip).
 *
 * @module
 */
import { skeleton } from "./skeleton.ts";
import { hasUnsafeChars } from "./text.ts";
import { MAX_NAME_BYTES } from "./wire/layout.ts";
import { utf8Length } from "./wire/wire_bytes.ts";

/** Longest username, in characters: code points after NFC. It must also fit 64 bytes of UTF-8. */
export const MAX_USERNAME_CHARS = 32;

/** The name the server uses for its announcements; no user may take it or a look-alike. */
export const SERVER_NAME = "Server";

/**
 * Unicode's Default_Ignorable_Code_Point set: characters a renderer may
 * draw as nothing at all (soft hyphen, combining grapheme joiner, variation
 * selectors, tags, Hangul fillers, ...), so `Fun` plus one of them would
 * print exactly like `Fun`.
 */
const INVISIBLE_CHAR = /\p{Default_Ignorable_Code_Point}/u;

/**
 * Characters that print as blank space and that NFKC does not make a space
 * (a no-break or ideographic space it does: such a name compares as the
 * one with a plain space, and stays allowed, `山田\u3000太郎` as an IME types
 * it): U+2800, the blank Braille pattern, which alone prints as nothing,
 * and the Ogham space mark.
 */
const BLANK_CHAR = /[^\S ]|\u2800/u;

/**
 * Returns why `name` cannot be a username, or `null` if it can.
 *
 * @example
 * ```ts
 * usernameProblem("Cool"); // null
 * usernameProblem("   "); // "it is empty"
 * usernameProblem("Fun\u00ad"); // "it contains the invisible character U+00AD"
 * ```
 */
export function usernameProblem(name: string): string | null {
  if (name.trim().length === 0) return "it is empty";
  if (name !== name.trim()) return "it starts or ends with a space";
  if ([...name.normalize("NFC")].length > MAX_USERNAME_CHARS) {
    return `it is longer than ${MAX_USERNAME_CHARS} characters`;
  }
  // The USERNAME field holds 64 bytes: a server never sees a longer name
  // (its header is refused), so this is for clients, to say why early.
  if (utf8Length(name) > MAX_NAME_BYTES) {
    return `it is longer than ${MAX_NAME_BYTES} bytes of UTF-8`;
  }
  if (hasUnsafeChars(name)) return "it contains control or formatting characters";
  const invisible = INVISIBLE_CHAR.exec(name);
  if (invisible) return `it contains the invisible character ${codePointLabel(invisible[0])}`;
  const blank = BLANK_CHAR.exec(name.normalize("NFKC"));
  if (blank) return `it contains the blank character ${codePointLabel(blank[0])}`;
  if (usernameKey(name) === SERVER_KEY) {
    return `it looks like "${SERVER_NAME}", which is reserved for the server's announcements`;
  }
  return null;
}

/**
 * The key under which usernames are compared: two names with the same key
 * cannot be active at once. Names collide when they look alike (the TR39
 * {@linkcode skeleton}: `Fսn` with Armenian ս, `Νick` with Greek Ν) or
 * differ only in case or width (`Fun`, `fun`, `ＦＵＮ`), and both at once
 * (`FUN` and `fսn`). The key is for comparing only, never for display.
 *
 * Steps: NFKC; skeleton (how the name looks as typed); lower case;
 * skeleton again (how it looks in lower case, so `MIKE` meets `mike`, whose
 * `m` looks like `rn`); lower case. `i` counts as `l`, because a capital `I`
 * looks like `l` and is the capital of `i`; a combining dot above one (or
 * `j`) is dropped.
 *
 * @example
 * ```ts
 * usernameKey("Fսn") === usernameKey("Fun"); // true
 * usernameKey("José") === usernameKey("Jose"); // false: the accent shows
 * ```
 */
export function usernameKey(name: string): string {
  // A dot above `i` or `j` (U+0307) prints as the dot they have already.
  return fold(skeleton(fold(skeleton(name.normalize("NFKC"))))).replace(/([lj])\u0307/gu, "$1");
}

const SERVER_KEY = usernameKey(SERVER_NAME);

function fold(text: string): string {
  return text.toLowerCase().replaceAll("i", "l");
}

function codePointLabel(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}
