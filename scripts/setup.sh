#!/usr/bin/env bash
# Set up the toolkit on a fresh machine: find Python >= 3.12, make .venv, install from PyPI.
# Idempotent: a second run only re-installs when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

py_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
    local c
    if [ -n "${PYTHON:-}" ] && py_ok "$PYTHON"; then echo "$PYTHON"; return; fi
    # pyenv: the version named in .python-version first, then any installed 3.12+
    if command -v pyenv >/dev/null 2>&1; then
        local root; root=$(pyenv root)
        if [ -f .python-version ] && py_ok "$root/versions/$(cat .python-version)/bin/python"; then
            echo "$root/versions/$(cat .python-version)/bin/python"; return
        fi
        for c in $(ls -d "$root"/versions/3.1[2-9]* "$root"/versions/3.[2-9][0-9]* 2>/dev/null | sort -V); do
            if py_ok "$c/bin/python"; then echo "$c/bin/python"; return; fi
        done
    fi
    for c in python3.14 python3.13 python3.12 python3 python; do
        if command -v "$c" >/dev/null 2>&1 && py_ok "$(command -v "$c")"; then command -v "$c"; return; fi
    done
    return 1
}

if [ ! -x .venv/bin/python ] || ! py_ok .venv/bin/python; then
    PY=$(find_python) || { echo "error: Python >= 3.12 not found (install it, e.g. with pyenv, or set PYTHON=/path/to/python3.12)" >&2; exit 1; }
    echo "setup: creating .venv with $PY ($("$PY" --version))"
    rm -rf .venv
    "$PY" -m venv .venv
fi

stamp=.venv/.subsidence-installed
want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: installing the toolkit and its dependencies (dolfinx-solver-real, gmsh, ...) from PyPI"
    .venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
    .venv/bin/python -m pip install --quiet -e ".[fem,test]" 2>&1 | grep -v "^WARNING: Location" || true
    .venv/bin/python -c "import subsidence, mpi4py.MPI, dolfinx, gmsh" || { echo "error: installation incomplete" >&2; exit 1; }
    echo "$want" > "$stamp"
fi
echo "setup: ready ($(.venv/bin/python --version); run tools as .venv/bin/subsidence or activate .venv)"
