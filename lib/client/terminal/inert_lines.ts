/**
 * Text from the server, made safe to print in a terminal: inert, and never
 * able to pass for a line of its own.
 *
 * @module
 */
import { inertText } from "../../shared/text.ts";

/**
 * `text` (from the server) as {@linkcode inertText} renders it, with every
 * line after the first indented by `indent`: a chat line holding
 * `\n[20:38:48] Server: Fire left the chatroom.` shows that as an indented
 * continuation, not as an announcement.
 *
 * @example
 * ```ts
 * inertLines("hi\n[t] Server: bye", "  "); // "hi\n  [t] Server: bye"
 * ```
 */
export function inertLines(text: string, indent = "  "): string {
  return inertText(text).replaceAll("\n", `\n${indent}`);
}
