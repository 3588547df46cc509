/**
 * What the code serving one connection works with: the room, the way out,
 * the log, and the server's settings.
 *
 * @module
 */
import type { Logger } from "../shared/log.ts";
import type { Room } from "./room/room.ts";
import type { Outbox } from "./outbox.ts";

/** The server's shared state, as each connection's handlers see it. */
export interface ServerContext {
  /** Decides what every request leads to. */
  room: Room;
  /** Sends what the room decided. */
  outbox: Outbox;
  /** Where each request is reported. */
  logger: Logger;
  /** Folder where received attachments are stored. */
  downloadsDir: string;
  /** Largest attachment accepted, in bytes. */
  maxAttachment: number;
  /** Aborted when the server shuts down: an upload under way stops and leaves no file. */
  stopping: AbortSignal;
}
