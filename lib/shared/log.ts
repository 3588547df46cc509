/**
 * A tiny line logger that writes to an injected sink, so `lib/` never calls
 * `console.log` and tests can read what was logged.
 *
 * @module
 */
import { clock } from "./format.ts";
import { inertText } from "./text.ts";
import { writeAllSync } from "./net/byte_conn.ts";

/** Receives whole lines (without the newline). */
export type LineSink = (line: string) => void;

/** Options for {@linkcode Logger.infoThrottled}. */
export interface ThrottleOptions {
  /** The interval. @default 1000 */
  intervalMs?: number;
  /** Lines of one key logged per interval. @default 1 */
  lines?: number;
}

/** Writes timestamped lines: `[HH:MM:SS] text`. */
export class Logger {
  #sink: LineSink;
  #now: () => number;
  #quiet = new Map<string, { until: number; logged: number; skipped: number }>();

  /** Creates a logger writing to `sink`. */
  constructor(sink: LineSink, now: () => number = Date.now) {
    this.#sink = sink;
    this.#now = now;
  }

  /**
   * Logs one event. Whatever of it came from a peer is inert: control and
   * bidi characters become visible escapes ({@linkcode inertText}), so no
   * line can move a terminal's cursor or pass for another line.
   */
  info(text: string): void {
    this.#sink(`[${clock(this.#now())}] ${inertText(text)}`);
  }

  /**
   * Logs one event of a kind that can come in floods (refused connections,
   * failed accepts, connections opened and closed): at most `lines` lines
   * per `key` every `intervalMs`; the next line logged says how many were
   * left out.
   */
  infoThrottled(key: string, text: string, options: ThrottleOptions = {}): void {
    const { intervalMs = 1000, lines = 1 } = options;
    const now = this.#now();
    let state = this.#quiet.get(key);
    if (!state || now >= state.until) {
      state = { until: now + intervalMs, logged: 0, skipped: state?.skipped ?? 0 };
      this.#quiet.set(key, state);
    }
    if (state.logged >= lines) {
      state.skipped++;
      return;
    }
    const skipped = state.skipped ? ` (${state.skipped} more like it not logged)` : "";
    state.logged++;
    state.skipped = 0;
    this.info(text + skipped);
  }

  /** Logs a line without a time (used for `--trace`), as inert as {@linkcode info}'s. */
  raw(text: string): void {
    this.#sink(inertText(text));
  }
}

/** A sink that writes lines to a `Deno` stream synchronously. */
export function streamSink(stream: { writeSync(p: Uint8Array): number }): LineSink {
  const encoder = new TextEncoder();
  // One buffer for every line that fits: a fresh array per line costs more than writing it.
  const scratch = new Uint8Array(16 * 1024);
  return (line) => {
    const text = line + "\n";
    const { read, written } = encoder.encodeInto(text, scratch);
    const bytes = read === text.length ? scratch.subarray(0, written) : encoder.encode(text);
    writeAllSync(stream, bytes);
  };
}
