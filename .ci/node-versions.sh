#!/usr/bin/env bash
# Runs a subset of the tests under the Node LTS lines 22 and 24 (the machine's Node runs the whole
# suite in `npm test`). Each Node comes from the npm registry's `node` package, installed into a
# temporary folder. The subset is what differs between Node versions: the numerics and both
# Legendre kernels (the N-API addon built against the machine's Node must load in the others; the
# WebAssembly kernels and their SIMD), the scheduler and its worker-thread pool, and the CLI end to
# end through worker threads (crash.test.ts: a run interrupted and resumed). Not
# test/integration/scheduler.test.ts: under Node 24 a worker given a --worker-memory of a few MiB
# aborts the whole process ("Fatal JavaScript out of memory: GC during deserialization") instead
# of failing its node — a known, still open difference (see the branch's report). The rest (config, cache, FITS, figures) is plain TypeScript over
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
)
for major in 22 24; do
  prefix="$(mktemp -d)/node${major}"
  npm install --silent --no-audit --no-fund --prefix "$prefix" "node@${major}" >/dev/null
  node_bin="$prefix/node_modules/node/bin/node"
  echo "== tests under Node $("$node_bin" --version)"
  "$node_bin" node_modules/vitest/vitest.mjs run "${FILES[@]}"
  rm -rf "$(dirname "$prefix")"
done
