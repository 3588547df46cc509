/**
 * The server broke the rules of a transfer it forwards as it arrives
 * (STREAM frames): the session closes the connection and says so.
 *
 * @module
 */
import { CODE, ProtocolError } from "../shared/wire/protocol_error.ts";

/**
 * A STREAM frame the server had no right to send, e.g. DATA for a transfer
 * that is not open. The message says what was wrong, with the values.
 *
 * @example
 * ```ts
 * throw new StreamViolation("DATA for transfer 7, which is not open");
 * ```
 */
export class StreamViolation extends ProtocolError {
  /** Creates the error; `message` names the frame, the transfer and the value. */
  constructor(message: string) {
    super(CODE.BAD_FRAME, message);
    this.name = "StreamViolation";
  }
}
