#!/usr/bin/env bash
# The main job: run the bundled hybrid cyber-and-space scenario to its decision package.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out=${1:-out/demo}
.venv/bin/watchfloor exercise run scenarios/hybrid-satcom-outage.yaml --out "$out"
echo
echo "Open: $out/decision-package.html  (PDF: $out/decision-package.pdf)"
