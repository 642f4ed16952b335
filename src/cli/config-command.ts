/** `cmbflow config`: the composed configuration, like Hydra's `--cfg job`. */
import type { Command } from "commander";
import { Option } from "commander";
import { describeOrigin, formatConfig, originOf, selectPackage } from "../config/index.js";
import type { KeyPath, LoadedConfig } from "../config/types.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
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
  readonly check?: boolean;
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
    .option("--check", "instead of printing it, list as warnings the ${...} values that cannot resolve (nothing cmbflow needs reads them)")
    .addHelpText(
      "after",
      `
Examples:
  cmbflow config                              everything, resolved
  cmbflow config --package pipeline --raw     the pipeline as written
  cmbflow config splits=10-10 scenario.nside=128 --package splits
  cmbflow config --show-origin --package scenario
  cmbflow config --check                      values an executor could not read`,
    );
  withConfigOptions(command).action((overrides: string[], flags: ConfigCommandFlags) => {
    done(showConfig(overrides, flags, io));
  });
}

function showConfig(overrides: readonly string[], flags: ConfigCommandFlags, io: CliIo): number {
  const config = loadForCommand(overrides, flags, io, true);
  if (config === undefined) return EXIT_USAGE;
  if (flags.check === true) return check(config, io);
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

/**
 * `config --check`: every value left unresolved (lazily, as OmegaConf does) as a warning at the
 * `${...}` at fault, once per cause; exit 0, since loading succeeded.
 */
function check(config: LoadedConfig, io: CliIo): number {
  const unresolved = config.unresolved ?? [];
  const byCause = new Map<Diagnostic, string[]>();
  for (const value of unresolved) {
    for (const cause of value.causes) byCause.set(cause, [...(byCause.get(cause) ?? []), value.path.join(".")]);
  }
  const warnings = [...byCause].map(([cause, paths]): Diagnostic => ({
    ...cause,
    severity: "warning",
    notes: [...(cause.notes ?? []), `unresolved: ${paths.join(", ")} (an executor reading ${paths.length === 1 ? "it" : "one"} fails)`],
  }));
  printDiagnostics(warnings, io);
  const n = unresolved.length;
  io.stdout(n === 0 ? "every value resolves\n" : `${String(n)} value${n === 1 ? "" : "s"} cannot be resolved; nothing cmbflow needs reads ${n === 1 ? "it" : "them"}\n`);
  return EXIT_OK;
}
