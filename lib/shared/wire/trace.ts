/**
 * A frame as one human-readable line, for `--trace`.
 *
 * @module
 */
import { codeName } from "./protocol_error.ts";
import { FLAG } from "./flags.ts";
import { type FrameHeader } from "./frame.ts";
import { toHex } from "./wire_bytes.ts";
import { decodeText } from "../text.ts";

/** The nine flag fields of the assignment's section 4, in its order. */
const ASSIGNMENT_FLAGS = [
  ["REPORT_REQUEST_FLAG", FLAG.REPORT_REQUEST],
  ["REPORT_RESPONSE_FLAG", FLAG.REPORT_RESPONSE],
  ["JOIN_REQUEST_FLAG", FLAG.JOIN_REQUEST],
  ["JOIN_REJECT_FLAG", FLAG.JOIN_REJECT],
  ["JOIN_ACCEPT_FLAG", FLAG.JOIN_ACCEPT],
  ["NEW_USER_FLAG", FLAG.NEW_USER],
  ["QUIT_REQUEST_FLAG", FLAG.QUIT_REQUEST],
  ["QUIT_ACCEPT_FLAG", FLAG.QUIT_ACCEPT],
  ["ATTACHMENT_FLAG", FLAG.ATTACHMENT],
] as const;

const EXTRA_FLAGS = [
  ["HISTORY", FLAG.HISTORY],
  ["ERROR", FLAG.ERROR],
  ["AVATAR", FLAG.AVATAR],
  ["NOTICE", FLAG.NOTICE],
  ["ECHO", FLAG.ECHO],
  ["STREAM", FLAG.STREAM],
] as const;

/** Longest payload preview in a trace line, in characters. */
const PREVIEW_CHARS = 120;

/**
 * One frame as one line listing all 14 fields of the assignment (and ours).
 * `payload` is the payload if it is in memory; streamed payloads show only
 * their length.
 */
export function formatFrame(
  direction: "send" | "recv",
  header: FrameHeader,
  payload?: Uint8Array,
): string {
  const flags = ASSIGNMENT_FLAGS.map(([name, bit]) => `${name}=${header.flags & bit ? 1 : 0}`);
  const extra = EXTRA_FLAGS.filter(([, bit]) => header.flags & bit).map(([name]) => name);
  const fields = [
    ...flags,
    `NUMBER=${header.number}`,
    `USERNAME=${JSON.stringify(header.username)}`,
    `FILENAME=${JSON.stringify(header.filename)}`,
    `PAYLOAD_LENGTH=${header.payloadLength}`,
    `PAYLOAD=${previewPayload(header, payload)}`,
  ];
  const ours = [
    extra.length ? `extra=${extra.join("|")}` : "",
    header.code ? `CODE=${codeName(header.code)}` : "",
    header.sender ? `SENDER=${JSON.stringify(header.sender)}` : "",
    header.timestamp ? `TIMESTAMP=${new Date(header.timestamp).toISOString()}` : "",
    header.sha256.length ? `SHA256=${toHex(header.sha256)}` : "",
  ].filter(Boolean);
  return `[trace] ${direction === "send" ? "→" : "←"} ${[...fields, ...ours].join(" ")}`;
}

function previewPayload(header: FrameHeader, payload?: Uint8Array): string {
  if (header.payloadLength === 0) return '""';
  // A transfer's DATA (STREAM without ERROR) is file bytes too; a DISCARD's payload is text.
  const data = (header.flags & (FLAG.STREAM | FLAG.ERROR)) === FLAG.STREAM;
  if (!payload || data || header.flags & (FLAG.ATTACHMENT | FLAG.AVATAR)) {
    return `<${header.payloadLength} bytes>`;
  }
  const text = decodeText(payload);
  const cut = text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
  return JSON.stringify(cut);
}
