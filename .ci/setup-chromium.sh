#!/usr/bin/env bash
# The HTML report's browser test (test/integration/report-browser.test.ts) drives Debian's
# chromium through playwright-core; playwright's own browser downloads are not used.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
