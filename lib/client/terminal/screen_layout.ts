/**
 * Where text lands on a terminal screen that wraps: the row and column after
 * each grapheme, with wide characters (CJK, emoji) taking two columns and
 * wrapping early when only one column is left, as terminals do.
 *
 * @module
 */
import stringWidth from "string-width";

/** A place on the screen, relative to where the text started (row 0). */
export interface ScreenPos {
  row: number;
  col: number;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** How a tab is shown in the line being edited: spaces, so columns stay countable. */
export const TAB_SHOWN = "    ";

/** Columns one grapheme takes: 0 to 2 (a tab, shown as {@linkcode TAB_SHOWN}, takes 4). */
export function graphemeWidth(grapheme: string): number {
  const code = grapheme.charCodeAt(0);
  if (grapheme.length === 1 && code >= 0x20 && code < 0x7f) return 1;
  if (grapheme === "\t") return TAB_SHOWN.length;
  return stringWidth(grapheme);
}

/** The graphemes of `text`, in order. */
export function splitGraphemes(text: string): string[] {
  return Array.from(graphemes.segment(text), (s) => s.segment);
}

/** The start of the grapheme before UTF-16 offset `at` (0 at the start). */
export function previousBoundary(text: string, at: number): number {
  if (at <= 0) return 0;
  return graphemes.segment(text).containing(at - 1)!.index;
}

/** The end of the grapheme at UTF-16 offset `at` (the text's length at the end). */
export function nextBoundary(text: string, at: number): number {
  if (at >= text.length) return text.length;
  const segment = graphemes.segment(text).containing(at)!;
  return segment.index + segment.segment.length;
}

/**
 * Where the cursor is after writing `text` from `start` on a screen
 * `columns` wide. A row filled to its last column puts the position at the
 * start of the next row (the terminal wraps on the next character).
 *
 * @example
 * ```ts
 * advance("漢字", 3); // { row: 1, col: 2 }: 漢 fits in columns 0-1, 字 wraps
 * ```
 */
export function advance(
  text: string,
  columns: number,
  start: ScreenPos = { row: 0, col: 0 },
): ScreenPos {
  let { row, col } = start;
  const width = Math.max(columns, 2);
  const step = (w: number) => {
    if (col + w > width) {
      row++;
      col = 0;
    }
    col += w;
    if (col === width) {
      row++;
      col = 0;
    }
  };
  for (const { segment } of graphemes.segment(text)) {
    // A tab is written as spaces, each of which wraps on its own.
    if (segment === "\t") { for (let i = 0; i < TAB_SHOWN.length; i++) step(1); }
    else {
      const w = Math.min(graphemeWidth(segment), width);
      if (w > 0) step(w);
    }
  }
  return { row, col };
}

/** `text` as written to the screen: tabs as {@linkcode TAB_SHOWN}. */
export function shown(text: string): string {
  return text.replaceAll("\t", TAB_SHOWN);
}

/**
 * The most columns any terminal may draw `grapheme` in: a sequence of
 * several code points (an emoji with a skin tone, a ZWJ family) counted as
 * the sum of its parts, as terminals that do not join them draw it (tmux
 * draws 👍🏽 in four columns, where Unicode says two).
 */
export function widestWidth(grapheme: string): number {
  const whole = graphemeWidth(grapheme);
  if (grapheme.length === 1) return whole;
  let sum = 0;
  for (const char of grapheme) sum += graphemeWidth(char);
  return Math.max(sum, whole);
}

/**
 * `text` cut to at most `columns` columns on any terminal (for a status
 * line that must not wrap: each grapheme counted at its
 * {@linkcode widestWidth}).
 */
export function clipToWidth(text: string, columns: number): string {
  let used = 0;
  let out = "";
  for (const { segment } of graphemes.segment(text)) {
    used += widestWidth(segment);
    if (used > columns) break;
    out += segment;
  }
  return out;
}

/**
 * `line` broken into rows of at most `columns` columns, each row after the
 * first of a line starting with `indent`: what would wrap at the
 * terminal's edge wraps here instead, indented, so no text can start a
 * row of its own by padding (a chat line of spaces that wraps to
 * `[20:38:48] Server: Cool left the chatroom.` at the left edge). A row
 * ends after its last space where it has one (the space is dropped), else
 * inside the word; each grapheme counts at its {@linkcode widestWidth}.
 * Tabs are written as {@linkcode TAB_SHOWN}; a line's own breaks (`\n`)
 * are kept. The rows are joined with `\n`.
 *
 * @example
 * ```ts
 * wrapRows("abc def", 5); // "abc\n  def"
 * wrapRows("abcdefgh", 5); // "abcde\n  fgh"
 * ```
 */
export function wrapRows(line: string, columns: number, indent = "  "): string {
  const width = Math.max(columns, indent.length + 2);
  const out: string[] = [];
  for (const part of shown(line).split("\n")) {
    let row: { g: string; w: number }[] = [];
    let used = 0;
    let first = true;
    const flush = (cells: { g: string }[]) => {
      out.push((first ? "" : indent) + cells.map((cell) => cell.g).join(""));
      first = false;
    };
    for (const { segment } of graphemes.segment(part)) {
      const w = Math.min(widestWidth(segment), width - indent.length);
      if (used + w > width && row.length > 0) {
        const space = row.findLastIndex((cell) => cell.g === " ");
        const carried = space > 0 ? row.slice(space + 1) : [];
        const carriedWidth = carried.reduce((sum, cell) => sum + cell.w, 0);
        if (space > 0 && indent.length + carriedWidth + w <= width) {
          // At the last space, dropped; the word after it starts the next row.
          flush(row.slice(0, space));
          row = carried;
          used = indent.length + carriedWidth;
        } else {
          flush(row);
          row = [];
          used = indent.length;
        }
      }
      row.push({ g: segment, w });
      used += w;
    }
    flush(row);
  }
  return out.join("\n");
}
