/**
 * Test support: an input that the test feeds strings into, one read each,
 * `null` for the end.
 *
 * @module
 */

/** A byte source fed by the test. */
export interface Feeder {
  push(text: string | null): void;
  read(p: Uint8Array): Promise<number | null>;
}

/** Creates a {@linkcode Feeder}; each pushed string must fit in one read. */
export function feeder(): Feeder {
  const queue: (string | null)[] = [];
  let wake: (() => void) | null = null;
  return {
    push(text) {
      queue.push(text);
      wake?.();
    },
    async read(p) {
      while (queue.length === 0) await new Promise<void>((r) => wake = r);
      const next = queue.shift()!;
      if (next === null) return null;
      const bytes = new TextEncoder().encode(next);
      if (bytes.length > p.length) throw new RangeError("Cannot feed more than one read holds");
      p.set(bytes);
      return bytes.length;
    },
  };
}
