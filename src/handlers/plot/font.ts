/**
 * A 5×9 pixel bitmap font for plot text, authored for cmbflow: printable ASCII (32–126) plus a
 * few symbols plots need (× μ ℓ ² ± ° π σ).
 *
 * Each glyph is 9 rows, top to bottom, one byte (two hex digits) per row; bit 4 is the leftmost
 * of the 5 columns. Rows 0–6 sit on the baseline (capitals are 7 rows tall, lower case 5);
 * rows 7–8 hold descenders (g j p q y , ;). A character advances by 6 columns (one blank
 * column between glyphs). Characters without a glyph are drawn as `?`.
 */

/** Glyph width in font pixels. */
export const GLYPH_WIDTH = 5;
/** Glyph height in font pixels, descenders included. */
export const GLYPH_HEIGHT = 9;
/** Rows above the baseline (capital height). */
export const GLYPH_ASCENT = 7;
/** Horizontal advance per character in font pixels. */
export const GLYPH_ADVANCE = 6;

// [code point, 9 rows as hex]
const GLYPHS: readonly (readonly [number, string])[] = [
  [0x0020, "000000000000000000"], // space
  [0x0021, "040404040400040000"], // !
  [0x0022, "0a0a00000000000000"], // quote
  [0x0023, "0a0a1f0a1f0a0a0000"], // #
  [0x0024, "040f140e051e040000"], // $
  [0x0025, "181902040813030000"], // %
  [0x0026, "0c12140815120d0000"], // &
  [0x0027, "040408000000000000"], // '
  [0x0028, "020408080804020000"], // (
  [0x0029, "080402020204080000"], // )
  [0x002a, "0004150e1504000000"], // *
  [0x002b, "0004041f0404000000"], // +
  [0x002c, "0000000000000c0408"], // ,
  [0x002d, "0000001f0000000000"], // -
  [0x002e, "00000000000c0c0000"], // .
  [0x002f, "000102040810000000"], // /
  [0x0030, "0e11131519110e0000"], // 0
  [0x0031, "040c040404040e0000"], // 1
  [0x0032, "0e11010204081f0000"], // 2
  [0x0033, "1f02040201110e0000"], // 3
  [0x0034, "02060a121f02020000"], // 4
  [0x0035, "1f101e0101110e0000"], // 5
  [0x0036, "0608101e11110e0000"], // 6
  [0x0037, "1f0102040808080000"], // 7
  [0x0038, "0e11110e11110e0000"], // 8
  [0x0039, "0e11110f01020c0000"], // 9
  [0x003a, "000c0c000c0c000000"], // :
  [0x003b, "000c0c000c0c040800"], // ;
  [0x003c, "020408100804020000"], // <
  [0x003d, "00001f001f00000000"], // =
  [0x003e, "080402010204080000"], // >
  [0x003f, "0e1101020400040000"], // ?
  [0x0040, "0e11010d15150e0000"], // @
  [0x0041, "0e11111f1111110000"], // A
  [0x0042, "1e11111e11111e0000"], // B
  [0x0043, "0e11101010110e0000"], // C
  [0x0044, "1c12111111121c0000"], // D
  [0x0045, "1f10101e10101f0000"], // E
  [0x0046, "1f10101e1010100000"], // F
  [0x0047, "0e11101711110f0000"], // G
  [0x0048, "1111111f1111110000"], // H
  [0x0049, "0e04040404040e0000"], // I
  [0x004a, "0702020202120c0000"], // J
  [0x004b, "111214181412110000"], // K
  [0x004c, "1010101010101f0000"], // L
  [0x004d, "111b15151111110000"], // M
  [0x004e, "111119151311110000"], // N
  [0x004f, "0e11111111110e0000"], // O
  [0x0050, "1e11111e1010100000"], // P
  [0x0051, "0e11111115120d0000"], // Q
  [0x0052, "1e11111e1412110000"], // R
  [0x0053, "0f10100e01011e0000"], // S
  [0x0054, "1f0404040404040000"], // T
  [0x0055, "1111111111110e0000"], // U
  [0x0056, "11111111110a040000"], // V
  [0x0057, "1111111515150a0000"], // W
  [0x0058, "11110a040a11110000"], // X
  [0x0059, "11110a040404040000"], // Y
  [0x005a, "1f01020408101f0000"], // Z
  [0x005b, "0e08080808080e0000"], // [
  [0x005c, "001008040201000000"], // backslash
  [0x005d, "0e02020202020e0000"], // ]
  [0x005e, "040a11000000000000"], // ^
  [0x005f, "000000000000001f00"], // _
  [0x0060, "080402000000000000"], // backtick
  [0x0061, "00000e010f110f0000"], // a
  [0x0062, "1010161911111e0000"], // b
  [0x0063, "00000e1010110e0000"], // c
  [0x0064, "01010d1311110f0000"], // d
  [0x0065, "00000e111f100e0000"], // e
  [0x0066, "0609081c0808080000"], // f
  [0x0067, "00000f1111110f010e"], // g
  [0x0068, "101016191111110000"], // h
  [0x0069, "04000c0404040e0000"], // i
  [0x006a, "02000602020202120c"], // j
  [0x006b, "101012141814120000"], // k
  [0x006c, "0c04040404040e0000"], // l
  [0x006d, "00001a151515150000"], // m
  [0x006e, "000016191111110000"], // n
  [0x006f, "00000e1111110e0000"], // o
  [0x0070, "00001e1111111e1010"], // p
  [0x0071, "00000f1111110f0101"], // q
  [0x0072, "000016191010100000"], // r
  [0x0073, "00000f100e011e0000"], // s
  [0x0074, "08081c080809060000"], // t
  [0x0075, "0000111111130d0000"], // u
  [0x0076, "00001111110a040000"], // v
  [0x0077, "0000111115150a0000"], // w
  [0x0078, "0000110a040a110000"], // x
  [0x0079, "0000111111110f010e"], // y
  [0x007a, "00001f0204081f0000"], // z
  [0x007b, "030404080404030000"], // {
  [0x007c, "040404040404040000"], // |
  [0x007d, "180404020404180000"], // }
  [0x007e, "000008150200000000"], // ~
  [0x00d7, "00110a040a11000000"], // ×
  [0x03bc, "0000111111131d1010"], // μ
  [0x2113, "02050506040c130000"], // ℓ
  [0x00b2, "0c1204081e00000000"], // ²
  [0x00b1, "04041f0404001f0000"], // ±
  [0x00b0, "0c12120c0000000000"], // °
  [0x03c0, "00001f0a0a0a090000"], // π
  [0x03c3, "00000f1211110e0000"], // σ
];

function decode(hex: string): Uint8Array {
  const rows = new Uint8Array(GLYPH_HEIGHT);
  for (let r = 0; r < GLYPH_HEIGHT; r++) rows[r] = Number.parseInt(hex.slice(2 * r, 2 * r + 2), 16);
  return rows;
}

const TABLE: ReadonlyMap<number, Uint8Array> = new Map(GLYPHS.map(([code, hex]) => [code, decode(hex)]));
const FALLBACK = TABLE.get(0x3f) ?? new Uint8Array(GLYPH_HEIGHT);

/** The rows of the glyph for `codePoint` (bit 4 = leftmost column); `?` when the font has none. */
export function glyphRows(codePoint: number): Uint8Array {
  return TABLE.get(codePoint) ?? FALLBACK;
}

/** True when the font has its own glyph for `codePoint`. */
export function hasGlyph(codePoint: number): boolean {
  return TABLE.has(codePoint);
}
