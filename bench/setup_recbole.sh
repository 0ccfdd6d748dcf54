#!/usr/bin/env bash
# Creates a throw-away virtual environment with RecBole 1.2.1 for the side-by-side
# baseline (see bench/recbole_run.py). Idempotent: does nothing if it is already set up.
#
#   bash bench/setup_recbole.sh            # venv at <repo>/.venv-recbole (git-ignored)
#   VENV=/some/where bash bench/setup_recbole.sh
#
# Torch: PyPI only has the default (CUDA-bundling, ~6 GB installed) Linux x86_64 wheel of
# torch 2.15.0; the CPU-only wheel lives on download.pytorch.org, which is a separate
# index (and not reachable from the machine this was written on). Set
# TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu to use it where it is reachable.
# The runs only use the CPU either way.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv-recbole}"
PY="${PYTHON:-python3}"

TORCH_SPEC="torch==2.15.0"
NUMPY_SPEC="numpy<2"           # RecBole 1.2.1 uses np.float_ / np.bool8, removed in numpy 2
RECBOLE_SPEC="recbole==1.2.1"
SETUPTOOLS_SPEC="setuptools<70" # ray (pulled in by recbole) imports pkg_resources

check() {
    "$VENV/bin/python" - <<'EOF' 2>/dev/null
import importlib.metadata as md, sys
v = {p: md.version(p) for p in ("torch", "numpy", "recbole", "setuptools")}
ok = (v["torch"].split("+")[0] == "2.15.0" and int(v["numpy"].split(".")[0]) < 2
      and v["recbole"] == "1.2.1" and int(v["setuptools"].split(".")[0]) < 70)
import pkg_resources  # noqa: F401  (must import for ray)
import recbole.quick_start  # noqa: F401
print(" ".join(f"{k}={x}" for k, x in v.items()))
sys.exit(0 if ok else 1)
EOF
}

if [ -x "$VENV/bin/python" ] && check; then
    echo "setup_recbole: already installed in $VENV"
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup_recbole: creating $VENV"
    "$PY" -m venv "$VENV"
fi

PIP=("$VENV/bin/pip" install --disable-pip-version-check)
if [ -n "${TORCH_INDEX_URL:-}" ]; then
    "${PIP[@]}" --index-url "$TORCH_INDEX_URL" "$TORCH_SPEC"
fi
"${PIP[@]}" "$TORCH_SPEC" "$NUMPY_SPEC" "$RECBOLE_SPEC"
"${PIP[@]}" --no-deps "$SETUPTOOLS_SPEC"

if check; then
    echo "setup_recbole: done ($VENV)"
else
    echo "setup_recbole: installed, but the version check failed" >&2
    exit 1
fi
