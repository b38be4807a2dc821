#!/usr/bin/env bash
# The main job: set-up, the bundled hybrid cyber-and-space scenario to its decision
# package, then the web service with the demo case loaded.
#   scripts/demo.sh              run the scenario, write out/demo/, then serve on 127.0.0.1:8000
#   scripts/demo.sh --no-serve   stop after writing out/demo/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out=out/demo
.venv/bin/watchfloor exercise run scenarios/hybrid-satcom-outage.yaml --out "$out"
echo
echo "Look at: $out/decision-package.html (and .pdf), $out/public-statement.txt,"
echo "         $out/after-action.html"
if [ "${1:-}" != "--no-serve" ]; then
  echo
  exec .venv/bin/watchfloor serve --demo
fi
