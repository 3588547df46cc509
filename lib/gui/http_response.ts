/**
 * The GUI server's responses: every one carries the same protective
 * headers (no sniffing, no framing, no referrer, no caching).
 *
 * @module
 */

/** Headers on every response of the GUI server. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

/** A response with {@linkcode COMMON_HEADERS} and `headers`. */
export function respond(
  body: BodyInit | null,
  status: number,
  headers: Record<string, string> = {},
): Response {
  return new Response(body, { status, headers: { ...COMMON_HEADERS, ...headers } });
}

/** A JSON response with {@linkcode COMMON_HEADERS}. */
export function json(status: number, body: unknown): Response {
  return respond(JSON.stringify(body), status, { "content-type": "application/json" });
}
