/**
 * How many connections the server holds: in all, and per address. Pure
 * bookkeeping; the server asks before serving a connection and tells when
 * it closes.
 *
 * Like the ergo IRC server, loopback addresses are exempt from the
 * per-address cap by default (local tests, a local proxy), and IPv6
 * clients are counted per /64, the block one subscriber usually holds.
 *
 * @module
 */

/** Options for {@linkcode ConnectionLimits}. */
export interface ConnectionLimitOptions {
  /** Most connections open at once. @default 1000 */
  maxConnections?: number;
  /** Most connections from one address (one IPv6 /64). @default 16 */
  maxPerAddress?: number;
  /** Count loopback addresses against `maxPerAddress` too. @default false */
  limitLoopback?: boolean;
}

/** The default caps. */
export const DEFAULT_CONNECTION_LIMITS = { maxConnections: 1000, maxPerAddress: 16 } as const;

/**
 * Open connections, in all and per address.
 *
 * @example
 * ```ts
 * const limits = new ConnectionLimits({ maxConnections: 1 });
 * limits.admit("10.0.0.1"); // null: admitted
 * limits.admit("10.0.0.2"); // "Server busy: …"
 * limits.release("10.0.0.1");
 * ```
 */
export class ConnectionLimits {
  #max: number;
  #maxPerAddress: number;
  #limitLoopback: boolean;
  #total = 0;
  #perAddress = new Map<string, number>();

  /** Creates empty bookkeeping. */
  constructor(options: ConnectionLimitOptions = {}) {
    this.#max = options.maxConnections ?? DEFAULT_CONNECTION_LIMITS.maxConnections;
    this.#maxPerAddress = options.maxPerAddress ?? DEFAULT_CONNECTION_LIMITS.maxPerAddress;
    this.#limitLoopback = options.limitLoopback ?? false;
  }

  /** Connections admitted and not yet released. */
  get total(): number {
    return this.#total;
  }

  /** Connections admitted from `hostname`'s address (or /64) and not yet released. */
  countFor(hostname: string): number {
    return this.#perAddress.get(addressKey(hostname)) ?? 0;
  }

  /**
   * Admits a connection from `hostname` and returns `null`, or returns why
   * not (a sentence starting "Server busy") and counts nothing. Every
   * admitted connection must be {@linkcode release}d exactly once.
   */
  admit(hostname: string): string | null {
    if (this.#total >= this.#max) {
      return `Server busy: it has reached its limit of ${connections(this.#max)}. Try again later.`;
    }
    const key = addressKey(hostname);
    const counted = this.#limitLoopback || !isLoopback(hostname);
    const mine = this.#perAddress.get(key) ?? 0;
    if (counted && mine >= this.#maxPerAddress) {
      return `Server busy: ${key} already has ${
        connections(mine)
      }, the limit per address. Try again later.`;
    }
    this.#total++;
    this.#perAddress.set(key, mine + 1);
    return null;
  }

  /** Forgets one admitted connection from `hostname`. */
  release(hostname: string): void {
    const key = addressKey(hostname);
    const mine = this.#perAddress.get(key);
    if (!mine) {
      throw new Error(`Cannot release a connection from ${hostname}: none is counted`);
    }
    this.#total--;
    if (mine === 1) this.#perAddress.delete(key);
    else this.#perAddress.set(key, mine - 1);
  }
}

/** True for 127.0.0.0/8, `::1` and IPv4-mapped loopback (`::ffff:127.0.0.1`), and `localhost`. */
export function isLoopback(hostname: string): boolean {
  const key = addressKey(hostname);
  return key === "localhost" || key.startsWith("127.") || key === "0:0:0:0:0:0:0:1";
}

/**
 * The key connections are counted under: an IPv4 address as it is (also
 * when mapped into IPv6), the full form of `::1`, and the /64 prefix of any
 * other IPv6 address (`2001:db8:0:1::/64`).
 */
export function addressKey(hostname: string): string {
  const host = hostname.replace(/^\[|\]$/g, "").replace(/%.*$/, "").toLowerCase();
  if (!host.includes(":")) return host;
  const groups = expandIPv6(host);
  if (!groups) return host;
  if (groups.slice(0, 5).every((g) => g === "0") && groups[5] === "ffff") {
    const [hi, lo] = [parseInt(groups[6], 16), parseInt(groups[7], 16)];
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
  }
  if (groups.join(":") === "0:0:0:0:0:0:0:1") return "0:0:0:0:0:0:0:1";
  return `${groups.slice(0, 4).join(":")}::/64`;
}

/** The eight groups of an IPv6 address, without leading zeros, or null if it is not one. */
function expandIPv6(host: string): string[] | null {
  let text = host;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const b = v4.slice(1).map(Number);
    if (b.some((x) => x > 255)) return null;
    text = text.slice(0, v4.index) +
      `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => parseInt(g, 16).toString(16));
}

/** "1 connection", "2 connections". */
function connections(n: number): string {
  return n === 1 ? "1 connection" : `${n} connections`;
}
