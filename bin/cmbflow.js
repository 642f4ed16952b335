#!/usr/bin/env node
// Entry point installed as `cmbflow`. The TypeScript sources are compiled to dist/ by the
// package's `prepare` script, which `npm ci` runs, so no separate build step is needed.
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
