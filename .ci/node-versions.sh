#!/usr/bin/env bash
# Runs a subset of the tests under the Node LTS lines 22 and 24 (the machine's Node runs the whole
# suite in `npm test`). Each Node comes from the npm registry's `node` package, installed into a
# temporary folder. The subset is what differs between Node versions: the numerics and both
# Legendre kernels (the N-API addon built against the machine's Node must load in the others; the
# WebAssembly kernels and their SIMD), the scheduler and its worker-thread pool, and the CLI end to
# end through worker threads (crash.test.ts: a run interrupted and resumed; early-workers.test.ts:
# threads that finish starting before piscina parks them in Atomics.wait), and the worker
# heap-limit cases of test/integration/scheduler.test.ts (Node 22 and 24 abort the whole process
# when a worker starts with a 1 or 2 MiB heap, so `run` refuses --worker-memory below 4).
# The rest (config, cache, FITS, figures) is plain TypeScript over
# node:fs and is left to the full run, to keep CI well inside its budget (~1.5 min per version).
set -euo pipefail
cd "$(dirname "$0")/.."

FILES=(
  test/healpix/legendre-native.test.ts
  test/healpix/sht.test.ts
  test/healpix/fft.test.ts
  test/scheduler
  test/cli/kernel.test.ts
  test/integration/crash.test.ts
  test/integration/early-workers.test.ts
)
for major in 22 24; do
  prefix="$(mktemp -d)/node${major}"
  npm install --silent --no-audit --no-fund --prefix "$prefix" "node@${major}" >/dev/null
  node_bin="$prefix/node_modules/node/bin/node"
  echo "== tests under Node $("$node_bin" --version)"
  "$node_bin" node_modules/vitest/vitest.mjs run "${FILES[@]}"
  "$node_bin" node_modules/vitest/vitest.mjs run test/integration/scheduler.test.ts -t "worker-memory"
  rm -rf "$(dirname "$prefix")"
done
