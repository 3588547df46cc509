/**
 * Who may talk to the GUI's local web server: only the page it served.
 * Every request must carry the per-launch token, name this server in its
 * Host header (against DNS rebinding), and come from this server's origin
 * when it says where it comes from (against other pages on the machine).
 *
 * @module
 */

/** Why a request was refused. */
export interface Refusal {
  status: 403;
  reason: string;
}

/** What {@linkcode checkRequest} compares a request against. */
export interface GuardOptions {
  /** The secret every request must carry as `?token=`. */
  token: string;
  /** The port the GUI listens on. */
  port: number;
}

/** A fresh secret for one launch: 32 random bytes, base64url. */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** The origins the page may have: the GUI's own address, by IP or by name. */
export function allowedOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
}

/** Compares two strings in time that depends only on their lengths. */
export function sameSecret(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  }
  return diff === 0;
}

/**
 * Returns why `request` must be refused, or `null` if it may be served.
 *
 * WebSocket upgrades and anything but GET must send an `Origin` (browsers
 * always do), so a page elsewhere cannot drive the client even if it
 * learned the token. A GET without an `Origin` is a navigation or an image
 * load; `Sec-Fetch-Site` then tells whether another site started it.
 *
 * @example
 * ```ts
 * const refusal = checkRequest(request, { token, port });
 * if (refusal) return new Response(refusal.reason, { status: refusal.status });
 * ```
 */
export function checkRequest(request: Request, options: GuardOptions): Refusal | null {
  const refuse = (reason: string): Refusal => ({ status: 403, reason: `Refused: ${reason}` });
  const origins = allowedOrigins(options.port);
  const host = request.headers.get("host") ?? "";
  if (!origins.includes(`http://${host}`)) {
    return refuse(`the Host header ${JSON.stringify(host)} is not this GUI's address`);
  }
  const origin = request.headers.get("origin");
  const upgrade = (request.headers.get("upgrade") ?? "").toLowerCase() === "websocket";
  if (origin !== null && !origins.includes(origin)) {
    return refuse(`requests from origin ${JSON.stringify(origin)} are not allowed`);
  }
  if (origin === null && (upgrade || request.method !== "GET")) {
    return refuse(`a ${upgrade ? "WebSocket" : request.method} request must send an Origin header`);
  }
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    return refuse(`requests started by another site (Sec-Fetch-Site: ${site}) are not allowed`);
  }
  const token = new URL(request.url).searchParams.get("token");
  if (token === null) return refuse("the request has no token");
  if (!sameSecret(token, options.token)) return refuse("the token is wrong");
  return null;
}
