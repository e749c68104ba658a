#!/bin/sh
# Scrape cost of mihari vs Debian's prometheus-node-exporter, same run.
# Results go into bench/RESULTS.md by hand, with the command that made them.
set -eu
cd "$(dirname "$0")/.."
./scripts/test-deps.sh >/dev/null
exec go run ./bench/scrape -n "${SCRAPES:-2000}"
