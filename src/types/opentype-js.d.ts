// The part of opentype.js (which ships no types) that src/handlers/plot/font.ts uses.
declare module "opentype.js" {
  export type PathCommand =
    | { readonly type: "M" | "L"; readonly x: number; readonly y: number }
    | { readonly type: "Q"; readonly x1: number; readonly y1: number; readonly x: number; readonly y: number }
    | {
        readonly type: "C";
        readonly x1: number;
        readonly y1: number;
        readonly x2: number;
        readonly y2: number;
        readonly x: number;
        readonly y: number;
      }
    | { readonly type: "Z" };

  export interface OpenTypeGlyph {
    readonly index: number;
    readonly advanceWidth: number | undefined;
    readonly path: { readonly commands: readonly PathCommand[] };
    getBoundingBox(): { readonly x1: number; readonly y1: number; readonly x2: number; readonly y2: number };
  }

  export interface OpenTypeFont {
    readonly unitsPerEm: number;
    charToGlyph(char: string): OpenTypeGlyph;
  }

  export interface OpenTypeModule {
    parse(buffer: ArrayBuffer, options?: { readonly lowMemory?: boolean }): OpenTypeFont;
  }
}
