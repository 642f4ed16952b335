import { describe, expect, it } from "vitest";
import { formatCard, formatReal, parseCard } from "../../src/fits/index.js";

// Expected texts are what astropy 5.2 / healpy 1.16.1 wrote for the same values (observed by
// dumping write_map(..., extra_header=...) output).

describe("formatReal follows astropy's %.16G layout", () => {
  const cases: [number, string][] = [
    [1.0, "1.0"],
    [0.1, "0.1"],
    [-123, "-123.0"],
    [100, "100.0"],
    [-0, "-0.0"],
    [1e-10, "1E-10"],
    [1e20, "1E+20"],
    [1e21, "1E+21"],
    [-1e-7, "-1E-07"],
    [1.5e-5, "1.5E-05"],
    [0.0001, "0.0001"],
    [0.00012345, "0.00012345"],
    [-1.6375e30, "-1.6375E+30"],
    [123456789.12345679, "123456789.1234568"],
    [1 / 3, "0.3333333333333333"],
    [2.5e-300, "2.5E-300"],
    [Math.fround(0.1), "0.1000000014901161"],
    [1e16, "1E+16"],
    [1e15, "1000000000000000.0"],
    [2 ** 53, "9007199254740992.0"],
    [123456789012345680, "1.23456789012345E+17"],
    [5e-324, "4.9406564584124E-324"],
    [1.7976931348623157e308, "1.7976931348623E+308"],
  ];
  for (const [x, s] of cases) it(`${x} → ${s}`, () => expect(formatReal(x)).toBe(s));
  it("rejects non-finite values", () => expect(() => formatReal(Infinity)).toThrow("FITS header values must be finite, got Infinity"));
});

const card = (s: string): string => s.padEnd(80);

describe("formatCard lays cards out as astropy does", () => {
  it("right-aligns numbers and logicals to column 30 and left-aligns strings padded to 8", () => {
    expect(formatCard("NSIDE", 32, "Resolution parameter of HEALPIX")).toEqual([
      card("NSIDE   =                   32 / Resolution parameter of HEALPIX"),
    ]);
    expect(formatCard("ORDERING", "RING", "Pixel ordering scheme, either RING or NESTED")).toEqual([
      card("ORDERING= 'RING    '           / Pixel ordering scheme, either RING or NESTED"),
    ]);
    expect(formatCard("t", true)).toEqual([card("T       =                    T")]);
    expect(formatCard("R1", { real: 1 })).toEqual([card("R1      =                  1.0")]);
    expect(formatCard("BIG", 12345678901234567890n)).toEqual([card("BIG     = 12345678901234567890")]);
    expect(formatCard("EMPTY", "")).toEqual([card("EMPTY   = ''")]);
    expect(formatCard("Q", "it's")).toEqual([card("Q       = 'it''s   '")]);
    expect(formatCard("N", "trailing   ")).toEqual([card("N       = 'trailing   '")]);
  });

  it("truncates comments at column 80", () => {
    expect(formatCard("C4", "x".repeat(60), "a comment that goes past")).toEqual([
      `C4      = '${"x".repeat(60)}' / a com`,
    ]);
  });

  it("continues long strings on CONTINUE cards, wrapping at spaces, with a comment on a last empty piece", () => {
    expect(formatCard("K13", "a".repeat(68))).toEqual([`K13     = '${"a".repeat(68)}'`]);
    expect(formatCard("K14", "a".repeat(69))).toEqual([`K14     = '${"a".repeat(67)}&'`, card("CONTINUE  'aa'")]);
    expect(formatCard("A", "word ".repeat(30))).toEqual([
      card(`A       = '${"word ".repeat(13)}&'`),
      card(`CONTINUE  '${"word ".repeat(13)}&'`),
      card(`CONTINUE  '${"word ".repeat(4)}'`),
    ]);
    expect(formatCard("B", "y".repeat(100), "comm")).toEqual([
      `B       = '${"y".repeat(67)}&'`,
      card(`CONTINUE  '${"y".repeat(33)}&'`),
      card("CONTINUE  '' / comm"),
    ]);
    // astropy cuts the quoted text at 67 characters even inside a doubled quote; so do we.
    expect(formatCard("B", "a".repeat(66) + "'b".repeat(10))).toEqual([
      `B       = '${"a".repeat(66)}'&'`,
      card(`CONTINUE  ''b${"''b".repeat(9)}'`),
    ]);
  });

  it("splits commentary text into 72-character cards and uses HIERARCH for long keywords", () => {
    expect(formatCard("COMMENT", "z".repeat(100))).toEqual([`COMMENT ${"z".repeat(72)}`, card(`COMMENT ${"z".repeat(28)}`)]);
    expect(formatCard("HISTORY", "")).toEqual([card("HISTORY")]);
    expect(formatCard("", "blank kw")).toEqual([card("        blank kw")]);
    expect(formatCard("LONGKEYWORD", 1)).toEqual([card("HIERARCH LONGKEYWORD = 1")]);
  });
});

describe("parseCard", () => {
  it("reads values, comments and continued strings", () => {
    expect(parseCard(card("NSIDE   =                   32 / Resolution parameter of HEALPIX"))).toEqual({
      card: { key: "NSIDE", value: 32, comment: "Resolution parameter of HEALPIX" },
      continued: false,
    });
    expect(parseCard(card("Q       = 'it''s   ' / with / slash")).card).toEqual({ key: "Q", value: "it's", comment: "with / slash" });
    expect(parseCard(card("X       =   1.5D-03")).card.value).toBe(1.5e-3);
    expect(parseCard(card("X       =                    F")).card.value).toBe(false);
    expect(parseCard(card("X       = 12345678901234567890")).card.value).toBe(12345678901234567890n);
    expect(parseCard(card("X       =")).card.value).toBe(null);
    expect(parseCard(card("COMMENT hello")).card).toEqual({ key: "COMMENT", value: undefined, comment: "hello" });
    expect(parseCard(card(`A       = '${"word ".repeat(13)}&'`))).toEqual({
      card: { key: "A", value: "word ".repeat(13), comment: "" }, // spaces before & belong to the value
      continued: true,
    });
    expect(parseCard(card("HIERARCH LONGKEYWORD = 1")).card).toEqual({ key: "LONGKEYWORD", value: 1, comment: "" });
  });
});
