/**
 * The GUI server's page, script and style sheet, with the page's Content
 * Security Policy: scripts and styles from this server only, connections
 * to its own WebSocket only.
 *
 * @module
 */
import { PAGE_CSS, PAGE_JS, pageHtml } from "./page/page_assets.ts";
import { respond } from "./http_response.ts";

/** The page's Content-Security-Policy for a GUI listening on `port`. */
export function pagePolicy(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** `GET /`: the page, its links carrying `token`. */
export function pageResponse(token: string, port: number): Response {
  return respond(pageHtml(token), 200, {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": pagePolicy(port),
  });
}

/** `GET /app.js`: the page's script. */
export function scriptResponse(): Response {
  return respond(PAGE_JS, 200, { "content-type": "text/javascript; charset=utf-8" });
}

/** `GET /app.css`: the page's style sheet. */
export function styleResponse(): Response {
  return respond(PAGE_CSS, 200, { "content-type": "text/css; charset=utf-8" });
}
