#!/usr/bin/env node
// Entry point installed as `cmbflow`. The TypeScript sources are compiled to dist/ by the
// package's `prepare` script, which `npm ci` runs, so no separate build step is needed.
const argv = process.argv.slice(2);
if (argv[0] === "worker") {
  // A Slurm array task: only the worker command is loaded (see src/cli/worker-main.ts).
  const { workerMain } = await import("../dist/cli/worker-main.js");
  process.exitCode = await workerMain(argv);
} else {
  const { main } = await import("../dist/cli/main.js");
  process.exitCode = await main(argv);
}
