/**
 * The GUI server's `/ws`: a page's WebSocket, through which it sends
 * commands to the controller and is told what happens.
 *
 * @module
 */
import { errorText } from "../shared/error_text.ts";
import { type GuiController, type PageLink } from "./gui_controller.ts";
import { respond } from "./http_response.ts";
import {
  MAX_PAGE_MESSAGE_BYTES,
  PageMessageError,
  parseFromPage,
  type ToPage,
} from "./page_protocol.ts";

/** Options for {@linkcode pageSocketResponse}. */
export interface PageSocketOptions {
  controller: GuiController;
  /** The open sockets: each is added while open, so the server can close them all. */
  sockets: Set<WebSocket>;
  /** Told about messages the page should not have sent. */
  log: (line: string) => void;
}

/** Upgrades `request` to a page's WebSocket (426 if it is no upgrade, 400 if that fails). */
export function pageSocketResponse(request: Request, options: PageSocketOptions): Response {
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
  const { controller, sockets } = options;
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
  socket.onmessage = (event) => onPageMessage(event, link, options);
  socket.onclose = () => {
    sockets.delete(socket);
    detach();
  };
  return response;
}

/** A message from the page: checked, then run (or refused, told to the page). */
function onPageMessage(event: MessageEvent, link: PageLink, options: PageSocketOptions): void {
  const raw = typeof event.data === "string" ? event.data : "";
  if (raw.length > MAX_PAGE_MESSAGE_BYTES) {
    return link.send({
      t: "problem",
      text: `The page sent ${raw.length} bytes, over the limit of ${MAX_PAGE_MESSAGE_BYTES}`,
    });
  }
  try {
    // command() tells the page about its own failures; it never rejects.
    void options.controller.command(link, parseFromPage(raw));
  } catch (error) {
    if (!(error instanceof PageMessageError)) throw error;
    options.log(error.message);
    link.send({ t: "problem", text: error.message });
  }
}
