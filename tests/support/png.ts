/**
 * Test support: real, decodable PNG images made on the spot, so tests can
 * check that a browser actually renders what was sent.
 *
 * @module
 */
import { deflateSync } from "node:zlib";
import { concatBytes } from "../../lib/shared/wire/bytes.ts";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Options for {@linkcode makePng}. */
export interface PngOptions {
  /** Fill colour as `[r, g, b]`. @default [40, 120, 220] */
  rgb?: [number, number, number];
  /** Draw a diagonal stripe in white so images are not flat. @default true */
  stripe?: boolean;
  /** Add random noise (incompressible), to make large files. @default false */
  noise?: boolean;
  /** Paints each pixel instead of the fill and stripe, e.g. to draw a picture. */
  paint?: (x: number, y: number) => [number, number, number];
}

/**
 * An RGB PNG of `width` × `height` pixels.
 *
 * @example
 * ```ts
 * await Deno.writeFile("cool.png", makePng(64, 48));
 * ```
 */
export function makePng(width: number, height: number, options: PngOptions = {}): Uint8Array {
  const [r, g, b] = options.rgb ?? [40, 120, 220];
  const stride = 1 + width * 3;
  const raw = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = y * stride + 1 + x * 3;
      const white = (options.stripe ?? true) && Math.abs(x - y) < Math.max(2, width / 16);
      raw.set(options.paint ? options.paint(x, y) : white ? [255, 255, 255] : [r, g, b], at);
    }
  }
  if (options.noise) {
    for (let y = 0; y < height; y++) {
      crypto.getRandomValues(raw.subarray(y * stride + 1, (y + 1) * stride));
    }
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit depth, RGB, deflate, no filter, no interlace
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ];
  return concatBytes(parts);
}
