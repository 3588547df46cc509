/**
 * The GUI's local web server: serves the embedded page, its WebSocket, the
 * avatars and saved files, and takes files the page uploads. Listens on
 * 127.0.0.1 only; every request passes {@linkcode checkRequest} first.
 *
 * @module
 */
import { errorText } from "../shared/error_text.ts";
import { type GuiController } from "./gui_controller.ts";
import { type GuiRouteContext, routeGuiRequest } from "./gui_routes.ts";
import { respond } from "./http_response.ts";
import { checkRequest, newToken } from "./request_guard.ts";

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

/** Starts the GUI's web server on 127.0.0.1. */
export function startGuiServer(options: GuiServerOptions): GuiServer {
  const context: GuiRouteContext = {
    controller: options.controller,
    token: options.token ?? newToken(),
    port: 0, // known once listening, before any request is answered
    stagingDir: options.stagingDir,
    maxUploadBytes: options.maxUploadBytes ?? 1024 ** 3,
    sockets: new Set(),
    log: options.log ?? (() => {}),
  };
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    onListen: () => {/* the caller prints the URL */},
  }, (request) => answer(request, context));
  context.port = server.addr.port;
  return {
    url: `http://127.0.0.1:${context.port}/?token=${context.token}`,
    port: context.port,
    async close() {
      for (const socket of context.sockets) socket.close(1001, "The chat client is stopping");
      await server.shutdown();
    },
    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}

/** Guards, then routes, a request; a failure is logged and answered with 500. */
async function answer(request: Request, context: GuiRouteContext): Promise<Response> {
  const refusal = checkRequest(request, { token: context.token, port: context.port });
  if (refusal) {
    context.log(`${refusal.reason} (${request.method} ${new URL(request.url).pathname})`);
    return respond(refusal.reason, refusal.status, {
      "content-type": "text/plain; charset=utf-8",
    });
  }
  try {
    return await routeGuiRequest(request, context);
  } catch (error) {
    context.log(`Cannot serve ${request.method} ${request.url}: ${errorText(error)}`);
    return respond(`The GUI failed: ${errorText(error)}`, 500);
  }
}
