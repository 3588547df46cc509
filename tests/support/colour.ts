/**
 * Test support: colours as a browser computes them (`rgb(…)`/`rgba(…)`),
 * WCAG 2 contrast ratios, and CIE76 colour distance (ΔE in CIELAB), so
 * tests can judge what people actually see.
 *
 * @module
 */

/** An sRGB colour, 0–255 per channel, with alpha 0–1. */
export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

/**
 * Parses a computed CSS colour, `rgb(1, 2, 3)` or `rgba(1, 2, 3, 0.5)`.
 *
 * @throws {Error} naming the text if it is neither.
 */
export function parseColour(text: string): Rgba {
  const m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+))?\s*\)$/
    .exec(text.trim());
  if (!m) throw new Error(`Cannot parse the colour ${JSON.stringify(text)}`);
  return { r: +m[1], g: +m[2], b: +m[3], a: m[4] === undefined ? 1 : +m[4] };
}

/** `top` painted over the opaque `bottom`, by its alpha. */
export function over(top: Rgba, bottom: Rgba): Rgba {
  const mix = (t: number, b: number) => t * top.a + b * (1 - top.a);
  return { r: mix(top.r, bottom.r), g: mix(top.g, bottom.g), b: mix(top.b, bottom.b), a: 1 };
}

const linear = (c: number) => {
  const v = c / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
};

/** WCAG 2's relative luminance. */
export function luminance({ r, g, b }: Rgba): number {
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/** WCAG 2's contrast ratio of two opaque colours, 1 to 21 (AA asks 4.5 for body text). */
export function contrastRatio(a: Rgba, b: Rgba): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** CIELAB (D65) of an sRGB colour. */
export function toLab(colour: Rgba): [number, number, number] {
  const [r, g, b] = [colour.r, colour.g, colour.b].map(linear);
  const x = (r * 0.4124 + g * 0.3576 + b * 0.1805) / 0.95047;
  const y = r * 0.2126 + g * 0.7152 + b * 0.0722;
  const z = (r * 0.0193 + g * 0.1192 + b * 0.9505) / 1.08883;
  const f = (t: number) => t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116;
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/**
 * CIE76 ΔE between two colours: about 2.3 is just noticeable; the old
 * generated avatars of Cool and Fun were about 4.4 apart.
 */
export function deltaE(a: Rgba, b: Rgba): number {
  const [l1, a1, b1] = toLab(a);
  const [l2, a2, b2] = toLab(b);
  return Math.hypot(l1 - l2, a1 - a2, b1 - b2);
}
