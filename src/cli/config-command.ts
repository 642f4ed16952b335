/** `cmbflow config`: the composed configuration, like Hydra's `--cfg job`. */
import type { Command } from "commander";
import { Option } from "commander";
import { describeOrigin, formatConfig, originOf, selectPackage } from "../config/index.js";
import type { KeyPath } from "../config/types.js";
import type { CliIo } from "./io.js";
import { EXIT_OK, EXIT_USAGE } from "./io.js";
import type { ConfigFlags } from "./load.js";
import { loadForCommand, printDiagnostics, withConfigOptions } from "./load.js";

interface ConfigCommandFlags extends ConfigFlags {
  readonly resolved?: boolean;
  readonly raw?: boolean;
  readonly package?: string;
  readonly json?: boolean;
  readonly showOrigin?: boolean;
}

/** Registers `config` on the program. */
export function configCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  const command = program
    .command("config")
    .description("print the composed configuration (defaults, overrides and interpolation applied)")
    .addOption(new Option("--resolved", "with ${...} interpolated (default)").conflicts("raw"))
    .option("--raw", "as composed, with ${...} left as written")
    .option("--package <key.path>", "only this part, e.g. pipeline or scenario")
    .option("--json", "JSON instead of YAML")
    .option("--show-origin", "the file:line (or override) that set each value")
    .addHelpText(
      "after",
      `
Examples:
  cmbflow config                              everything, resolved
  cmbflow config --package pipeline --raw     the pipeline as written
  cmbflow config splits=10-10 scenario.nside=128 --package splits
  cmbflow config --show-origin --package scenario`,
    );
  withConfigOptions(command).action((overrides: string[], flags: ConfigCommandFlags) => {
    done(showConfig(overrides, flags, io));
  });
}

function showConfig(overrides: readonly string[], flags: ConfigCommandFlags, io: CliIo): number {
  const config = loadForCommand(overrides, flags, io);
  if (config === undefined) return EXIT_USAGE;
  const root = flags.raw === true ? config.raw : config.resolved;
  const selected = selectPackage(root, flags.package ?? "");
  if (!selected.ok) {
    printDiagnostics([selected.error], io);
    return EXIT_USAGE;
  }
  const { path, value } = selected.value;
  const origins = flags.showOrigin === true ? (p: KeyPath) => describeOrigin(originOf(config, p), io.cwd) : undefined;
  io.stdout(formatConfig(value, flags.json === true ? "json" : "yaml", { basePath: path, ...(origins === undefined ? {} : { origins }) }));
  return EXIT_OK;
}
