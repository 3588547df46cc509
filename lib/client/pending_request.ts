/**
 * The one request a session may have in flight (report, join, quit) and the
 * frame that answers it.
 *
 * @module
 */
import { type Frame, type FrameHeader } from "../shared/wire/frame.ts";
import { RequestError } from "./connection_error.ts";

interface Waiter {
  /** Any of these flags on a frame answers the request. */
  flags: number;
  resolve: (frame: Frame) => void;
  reject: (error: Error) => void;
}

/**
 * Holds at most one request waiting for its answer. The promise a request
 * returns always has a handler attached, so a connection that ends while
 * nobody awaits it any more cannot become an unhandled rejection.
 */
export class PendingRequest {
  #waiter: Waiter | null = null;

  /** True while a request waits for its answer. */
  get pending(): boolean {
    return this.#waiter !== null;
  }

  /**
   * Starts waiting for a frame with any of `flags`.
   *
   * @throws {RequestError} if another request is still waiting.
   */
  begin(flags: number): Promise<Frame> {
    if (this.#waiter) {
      throw new RequestError("Cannot send a request while another is pending");
    }
    const { promise, resolve, reject } = Promise.withResolvers<Frame>();
    this.#waiter = { flags, resolve, reject };
    promise.catch(() => {/* handled by whoever awaits it, if anyone still does */});
    return promise;
  }

  /** True if `header` carries one of the flags the pending request waits for. */
  answeredBy(header: FrameHeader): boolean {
    return this.#waiter !== null && (header.flags & this.#waiter.flags) !== 0;
  }

  /** Ends the pending request (if any) with `frame`. */
  resolve(frame: Frame): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.resolve(frame);
  }

  /** Ends the pending request (if any) with `error`. */
  reject(error: Error): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.reject(error);
  }
}
