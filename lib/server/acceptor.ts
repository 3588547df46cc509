/**
 * The accept loop: takes connections from a listener, admits those within
 * the caps of a {@linkcode ConnectionLimits}, refuses the rest with a
 * "server busy" ERROR frame, and keeps count of what is open.
 *
 * @module
 */
import { CODE } from "../shared/wire/protocol_error.ts";
import { encodeFrame } from "../shared/wire/encode_frame.ts";
import { FLAG } from "../shared/wire/flags.ts";
import { closeGracefully } from "../shared/net/conn_helpers.ts";
import { writeAll } from "../shared/net/byte_conn.ts";
import type { ConnectionLimits } from "./limits/conn_limits.ts";
import type { Logger } from "../shared/log.ts";
import { sleep } from "../shared/abortable.ts";
import { errorText } from "../shared/error_text.ts";

/** Pause after a failed accept (e.g. out of file descriptors), so the loop does not spin. */
export const ACCEPT_BACKOFF_MS = 100;

/** How long a refused connection waits for its peer to close after the "server busy" frame. */
export const REFUSAL_LINGER_MS = 250;

/** Options for {@linkcode Acceptor}. */
export interface AcceptorOptions {
  /** The caps; each admitted connection is released when `serve` resolves. */
  limits: ConnectionLimits;
  /** Where refusals and accept failures are reported (at most one line a second each). */
  logger: Logger;
  /** Serves one admitted connection; resolves once it is closed. Must not reject. */
  serve: (conn: Deno.TcpConn) => Promise<void>;
}

/** Runs the accept loop of a listener until {@linkcode stop}. */
export class Acceptor {
  #listener: Deno.TcpListener;
  #options: AcceptorOptions;
  #tasks = new Set<Promise<void>>();
  #open = 0;
  #stopping = new AbortController();
  #loop: Promise<void>;

  /** Starts accepting at once. */
  constructor(listener: Deno.TcpListener, options: AcceptorOptions) {
    this.#listener = listener;
    this.#options = options;
    this.#loop = this.#run();
  }

  /** Connections open now, admitted or being refused. */
  get open(): number {
    return this.#open;
  }

  /** Stops accepting and closes the listener; connections already open go on. */
  async stop(): Promise<void> {
    if (!this.#stopping.signal.aborted) {
      this.#stopping.abort();
      this.#listener.close();
    }
    await this.#loop;
  }

  /** Resolves when every connection accepted so far is closed. */
  async drained(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
  }

  async #run(): Promise<void> {
    const { limits, logger, serve } = this.#options;
    while (!this.#stopping.signal.aborted) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#stopping.signal.aborted) return;
        // Out of file descriptors, every accept fails at once: back off rather than spin.
        logger.infoThrottled("accept", `Cannot accept a connection: ${errorText(error)}`);
        await sleep(ACCEPT_BACKOFF_MS, this.#stopping.signal);
        continue;
      }
      this.#open++;
      const hostname = conn.remoteAddr.hostname;
      const refusal = limits.admit(hostname);
      const work = refusal
        ? this.#refuse(conn, refusal)
        : serve(conn).finally(() => limits.release(hostname));
      const task = work.finally(() => {
        this.#open--;
        this.#tasks.delete(task);
      });
      this.#tasks.add(task);
    }
  }

  /** One ERROR frame saying why, then a close that lets the peer read it first. */
  async #refuse(conn: Deno.TcpConn, text: string): Promise<void> {
    const { hostname, port } = conn.remoteAddr;
    this.#options.logger.infoThrottled(
      "busy",
      `Connection from ${hostname}:${port} refused: ${text}`,
    );
    try {
      await writeAll(
        conn,
        encodeFrame({ flags: FLAG.ERROR, code: CODE.SERVER_BUSY, payload: text }),
      );
    } catch (error) {
      // A peer that already left needs no answer; closeGracefully below copes with any state.
      this.#options.logger.infoThrottled(
        "busy-gone",
        `Cannot tell ${hostname}:${port}: ${errorText(error)}`,
      );
    }
    // A refused connection holds a descriptor while it lingers: keep that short.
    await closeGracefully(conn, { timeoutMs: REFUSAL_LINGER_MS });
  }
}
