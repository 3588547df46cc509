/**
 * Times and sizes as people read them, in logs and on screen.
 *
 * @module
 */

/**
 * What {@linkcode clock} and {@linkcode dateTime} show for a time no date
 * can hold (the wire's 64 bits go past the year 275760, JavaScript's last).
 */
export const NO_TIME = "--:--:--";

/** The second {@linkcode clock} formatted last, and how. */
let clockSecond = NaN;
let clockText = "";

/**
 * `HH:MM:SS` of a timestamp in local time, as the assignment prints it. The
 * last second's text is kept: a server logs every chat line with it, and a
 * history's lines mostly share their seconds.
 */
export function clock(timestamp: number): string {
  const second = Math.floor(timestamp / 1000);
  if (second === clockSecond) return clockText;
  const d = new Date(timestamp);
  if (Number.isNaN(d.getTime())) return NO_TIME;
  clockText = [d.getHours(), d.getMinutes(), d.getSeconds()]
    .map((n) => String(n).padStart(2, "0"))
    .join(":");
  clockSecond = second;
  return clockText;
}

/** A byte count for people: `103 bytes`, `1.5 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * A message's time as the chat shows it: `HH:MM:SS` (the assignment's) for
 * a timestamp on the same local day as `now`, else `YYYY-MM-DD HH:MM:SS`,
 * so history from another day says which day.
 *
 * @example
 * ```ts
 * stamp(Date.now()); // "20:32:40"
 * stamp(new Date(2026, 11, 1, 20, 32, 40).getTime(), new Date(2026, 11, 2).getTime());
 * // "2026-12-01 20:32:40"
 * ```
 */
export function stamp(timestamp: number, now: number = Date.now()): string {
  const d = new Date(timestamp);
  const today = new Date(now);
  const sameDay = d.getFullYear() === today.getFullYear() && d.getMonth() === today.getMonth() &&
    d.getDate() === today.getDate();
  return sameDay ? clock(timestamp) : dateTime(timestamp);
}

/** `YYYY-MM-DD HH:MM:SS` of a timestamp in local time. */
export function dateTime(timestamp: number): string {
  const d = new Date(timestamp);
  if (Number.isNaN(d.getTime())) return NO_TIME;
  const date = [d.getFullYear(), d.getMonth() + 1, d.getDate()]
    .map((n, i) => String(n).padStart(i === 0 ? 4 : 2, "0"))
    .join("-");
  return `${date} ${clock(timestamp)}`;
}
