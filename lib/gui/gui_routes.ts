/**
 * Which handler answers a request to the GUI server (once it passed
 * `checkRequest`): the page and its files, the WebSocket, avatars, saved
 * files and uploads.
 *
 * @module
 */
import { type GuiController } from "./gui_controller.ts";
import { respond } from "./http_response.ts";
import { uploadResponse } from "./page_upload.ts";
import { pageSocketResponse } from "./page_socket.ts";
import { avatarResponse, savedFileResponse } from "./saved_media.ts";
import { pageResponse, scriptResponse, styleResponse } from "./static_page.ts";

/** What the routes need of the running server. */
export interface GuiRouteContext {
  controller: GuiController;
  /** The secret of this launch, put into the page's links. */
  token: string;
  /** The port the GUI listens on. */
  port: number;
  /** Folder where files the page uploads are staged before they are sent. */
  stagingDir: string;
  /** Largest file the page may upload, in bytes. */
  maxUploadBytes: number;
  /** The open WebSockets. */
  sockets: Set<WebSocket>;
  /** Told about refused requests and failures. */
  log: (line: string) => void;
}

/** Answers a request that passed the guard. */
export async function routeGuiRequest(
  request: Request,
  context: GuiRouteContext,
): Promise<Response> {
  const { controller } = context;
  const path = new URL(request.url).pathname;
  if (request.method === "POST" && path === "/upload") {
    return await uploadResponse(request, {
      controller,
      stagingDir: context.stagingDir,
      maxBytes: context.maxUploadBytes,
    });
  }
  if (request.method !== "GET") return respond("Method not allowed", 405);
  if (path === "/") return pageResponse(context.token, context.port);
  if (path === "/app.js") return scriptResponse();
  if (path === "/app.css") return styleResponse();
  if (path === "/ws") return pageSocketResponse(request, context);
  const avatar = /^\/avatar\/([^/]+)$/.exec(path);
  if (avatar) return avatarResponse(controller, avatar[1]);
  const file = /^\/file\/(\d+)$/.exec(path);
  if (file) return await savedFileResponse(controller, file[1]);
  return respond("Not found", 404);
}
