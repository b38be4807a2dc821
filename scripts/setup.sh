#!/usr/bin/env bash
# Idempotent set-up on a fresh machine: a virtual environment from the lock file.
# Usage: scripts/setup.sh            (Python packages only)
#        scripts/setup.sh --system   (also Debian packages the test tiers need)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ ! -x .venv/bin/uv ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check uv
fi
# Install exactly what the lock pins (no network beyond the package index).
.venv/bin/uv pip sync --quiet --python .venv/bin/python requirements.lock
.venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e .
# Compile the correlation kernel's machine code once (cached beside it; a
# no-op when the cache is current), so no first run waits for it.
.venv/bin/python -c "from watchfloor.engines.correlation.kernel import compile_kernel; compile_kernel()"

if [ "${1:-}" = "--system" ]; then
  need=()
  [ -x /usr/bin/chromium ] || need+=(chromium)
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then need+=(postgresql); fi
  if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi
