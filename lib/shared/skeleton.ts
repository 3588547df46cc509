/**
 * The confusable skeleton of Unicode Technical Standard #39 (section 4):
 * two strings that look alike map to the same skeleton.
 *
 * The mapping is Unicode's confusables.txt (version 13.0.0) as the npm
 * package `unhomoglyph` ships it: one source code point to its prototype
 * string. Only the data is used; the package's own function skips the NFD
 * steps, so precomposed letters would meet wrong entries (`ö` is listed as
 * a look-alike of Arabic `ة`, while NFD's `o` + U+0308 maps as it should).
 *
 * @module
 */
import confusables from "unhomoglyph/data.json" with { type: "json" };

const PROTOTYPES: Readonly<Record<string, string | undefined>> = confusables;

/**
 * The TR39 skeleton of `text`: NFD, each code point replaced by its
 * prototype from confusables.txt, NFD again. A skeleton is for comparing,
 * never for display (`m` becomes `rn`, `0` becomes `O`).
 *
 * @example
 * ```ts
 * skeleton("Ѕеrver") === skeleton("Server"); // true: Cyrillic Ѕ and е
 * skeleton("paypal") === skeleton("pаypаl"); // true
 * ```
 */
export function skeleton(text: string): string {
  let mapped = "";
  for (const char of text.normalize("NFD")) mapped += PROTOTYPES[char] ?? char;
  return mapped.normalize("NFD");
}
