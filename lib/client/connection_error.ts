/**
 * The errors a {@linkcode ChatSession} rejects with: the connection is gone,
 * or a request could not be sent at all.
 *
 * @module
 */

/** A connection failed or the server closed it. */
export class ConnectionError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ConnectionError";
  }
}

/**
 * A request this client refused to send because it cannot be put on the
 * wire (e.g. a username over the protocol's byte limit). Nothing was sent,
 * and the session is as usable as before.
 */
export class RequestError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "RequestError";
  }
}
