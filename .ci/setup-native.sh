#!/usr/bin/env bash
# The native Legendre kernel is built by node-gyp during `npm ci` (package.json "install"), which
# needs a C++ compiler, make and Python; without them the install still succeeds and only the
# WebAssembly kernel is tested, so install them here. Node's headers come with the machine's Node.
set -euo pipefail
if ! command -v g++ >/dev/null || ! command -v make >/dev/null || ! command -v python3 >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq g++ make python3 >/dev/null
fi
