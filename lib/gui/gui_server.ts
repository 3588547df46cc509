/**
 * The GUI's local web server: serves the embedded page, its WebSocket, the
 * avatars and saved files, and takes files the page uploads. Listens on
 * 127.0.0.1 only; every request passes {@linkcode checkRequest} first.
 *
 * @module
 */
import { safeFileName } from "../shared/files/safe_file_name.ts";
import { type GuiController, type PageLink } from "./gui_controller.ts";
import {
  MAX_PAGE_MESSAGE_BYTES,
  PageMessageError,
  parseFromPage,
  type ToPage,
} from "./page_protocol.ts";
import { checkRequest, newToken } from "./request_guard.ts";
import { PAGE_CSS } from "./page/page_css.ts";
import { pageHtml } from "./page/page_html.ts";
import { PAGE_JS } from "./page/page_js.ts";
import { errorText } from "../shared/error_text.ts";

/** Options for {@linkcode startGuiServer}. */
export interface GuiServerOptions {
  controller: GuiController;
  /** Folder where files the page uploads are staged before they are sent. */
  stagingDir: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** The secret of this launch. @default a fresh {@linkcode newToken} */
  token?: string;
  /** Largest file the page may upload, in bytes. @default 1073741824 (1 GiB) */
  maxUploadBytes?: number;
  /** Told about refused requests and failures. @default nowhere */
  log?: (line: string) => void;
}

/** A running GUI server. */
export interface GuiServer extends AsyncDisposable {
  /** The address to open, token included. */
  readonly url: string;
  readonly port: number;
  /** Closes every page's WebSocket and stops listening. */
  close(): Promise<void>;
}

const COMMON_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

function respond(body: BodyInit | null, status: number, headers: Record<string, string> = {}) {
  return new Response(body, { status, headers: { ...COMMON_HEADERS, ...headers } });
}

/** Starts the GUI's web server on 127.0.0.1. */
export function startGuiServer(options: GuiServerOptions): GuiServer {
  const token = options.token ?? newToken();
  const log = options.log ?? (() => {});
  const sockets = new Set<WebSocket>();
  let port = 0;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    onListen: () => {/* the caller prints the URL */},
  }, async (request) => {
    const refusal = checkRequest(request, { token, port });
    if (refusal) {
      log(`${refusal.reason} (${request.method} ${new URL(request.url).pathname})`);
      return respond(refusal.reason, refusal.status, {
        "content-type": "text/plain; charset=utf-8",
      });
    }
    try {
      return await route(request);
    } catch (error) {
      log(`Cannot serve ${request.method} ${request.url}: ${errorText(error)}`);
      return respond(`The GUI failed: ${errorText(error)}`, 500);
    }
  });
  port = server.addr.port;
  const { controller } = options;

  async function route(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (request.method === "POST" && path === "/upload") return await upload(request);
    if (request.method !== "GET") return respond("Method not allowed", 405);
    if (path === "/") return page();
    if (path === "/app.js") {
      return respond(PAGE_JS, 200, { "content-type": "text/javascript; charset=utf-8" });
    }
    if (path === "/app.css") {
      return respond(PAGE_CSS, 200, { "content-type": "text/css; charset=utf-8" });
    }
    if (path === "/ws") return webSocket(request);
    const avatar = /^\/avatar\/([^/]+)$/.exec(path);
    if (avatar) {
      const found = controller.avatar(decodeURIComponent(avatar[1]));
      if (!found) return respond("No such avatar", 404);
      return respond(found.bytes.slice(), 200, {
        "content-type": found.mime,
        "content-security-policy": "sandbox",
      });
    }
    const file = /^\/file\/(\d+)$/.exec(path);
    if (file) return await savedFile(file[1]);
    return respond("Not found", 404);
  }

  function page(): Response {
    const csp = [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' blob: data:",
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; ");
    return respond(pageHtml(token), 200, {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": csp,
    });
  }

  function webSocket(request: Request): Response {
    if ((request.headers.get("upgrade") ?? "").toLowerCase() !== "websocket") {
      return respond("Expected a WebSocket upgrade", 426);
    }
    let upgraded: { socket: WebSocket; response: Response };
    try {
      upgraded = Deno.upgradeWebSocket(request);
    } catch (error) {
      return respond(`Cannot open the WebSocket: ${errorText(error)}`, 400);
    }
    const { socket, response } = upgraded;
    let detach = () => {};
    const link: PageLink = {
      send: (message: ToPage) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
      },
    };
    socket.onopen = () => {
      sockets.add(socket);
      detach = controller.connect(link);
    };
    socket.onmessage = (event) => {
      const raw = typeof event.data === "string" ? event.data : "";
      if (raw.length > MAX_PAGE_MESSAGE_BYTES) {
        return link.send({
          t: "problem",
          text: `The page sent ${raw.length} bytes, over the limit of ${MAX_PAGE_MESSAGE_BYTES}`,
        });
      }
      try {
        void controller.command(link, parseFromPage(raw));
      } catch (error) {
        if (!(error instanceof PageMessageError)) throw error;
        log(error.message);
        link.send({ t: "problem", text: error.message });
      }
    };
    socket.onclose = () => {
      sockets.delete(socket);
      detach();
    };
    return response;
  }

  async function savedFile(id: string): Promise<Response> {
    const file = controller.file(id);
    if (!file) return respond("No such file", 404);
    let handle: Deno.FsFile;
    try {
      handle = await Deno.open(file.path, { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        return respond(`${file.name} is no longer in downloads/`, 404);
      }
      throw error;
    }
    const headers: Record<string, string> = {
      "content-length": String((await handle.stat()).size),
      "content-security-policy": "sandbox",
    };
    if (file.mime) headers["content-type"] = file.mime;
    else {
      headers["content-type"] = "application/octet-stream";
      headers["content-disposition"] = `attachment; filename*=UTF-8''${
        encodeURIComponent(file.name)
      }`;
    }
    return respond(handle.readable, 200, headers);
  }

  async function upload(request: Request): Promise<Response> {
    const name = safeFileName(new URL(request.url).searchParams.get("name") ?? "");
    const max = options.maxUploadBytes ?? 1024 ** 3;
    const declared = Number(request.headers.get("content-length") ?? "0");
    if (declared > max) {
      return json(413, {
        error: `Cannot send ${name}: it is ${declared} bytes, over the limit of ${max}`,
      });
    }
    const dir = `${options.stagingDir}/${crypto.randomUUID()}`;
    await Deno.mkdir(dir, { recursive: true });
    const path = `${dir}/${name}`;
    try {
      await stage(request.body, path, max);
      const { size } = await controller.uploadStaged(path, name);
      return json(200, { ok: true, size });
    } catch (error) {
      await Deno.remove(dir, { recursive: true }).catch(() => {/* nothing was staged */});
      return json(400, { error: errorText(error) });
    }
  }

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    async close() {
      for (const socket of sockets) socket.close(1001, "The chat client is stopping");
      await server.shutdown();
    },
    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}

function json(status: number, body: unknown): Response {
  return respond(JSON.stringify(body), status, { "content-type": "application/json" });
}

/** Streams a request body to `path`, refusing more than `max` bytes. */
async function stage(
  body: ReadableStream<Uint8Array> | null,
  path: string,
  max: number,
): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true });
  let size = 0;
  try {
    if (!body) return;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > max) {
        throw new Error(`Cannot stage the file: it is over the limit of ${max} bytes`);
      }
      let at = 0;
      while (at < chunk.length) at += await file.write(chunk.subarray(at));
    }
  } finally {
    file.close();
  }
}
