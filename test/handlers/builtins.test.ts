import { describe, expect, it } from "vitest";

import { builtinHandlers, registerBuiltinHandlers } from "../../src/handlers/builtins.js";
import { getHandler, handlerNames } from "../../src/handlers/registry.js";

describe("registerBuiltinHandlers", () => {
  it("registers every built-in handler under its name", () => {
    registerBuiltinHandlers();
    const names = builtinHandlers.map((h) => h.name);
    expect(names).toEqual([
      "TextPowerSpectrum",
      "NumpyPowerSpectrum",
      "NumpyMap",
      "Config",
      "PlainText",
      "CsvTable",
      "AppendingCsv",
      "Figure",
      "Mollview",
      "EmptyHandler",
      "Mover",
    ]);
    for (const handler of builtinHandlers) expect(getHandler(handler.name)).toBe(handler);
    expect(handlerNames()).toEqual(expect.arrayContaining(names));
  });
});
