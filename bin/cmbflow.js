#!/usr/bin/env node
// Entry point installed as `cmbflow`. The TypeScript sources are compiled to dist/ by the
// package's `prepare` script, which `npm ci` runs, so no separate build step is needed.
//
// Why two steps: startEarly (which loads only Node's own modules) starts work that can run
// while the CLI's modules load; a static import of main.js would load them all first.
import { startEarly } from "../dist/cli/project-folder.js";

startEarly(process.argv.slice(2), process.cwd());
const { main } = await import("../dist/cli/main.js");
process.exitCode = await main(process.argv.slice(2));
