#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite: serially, then the FE/MPI tests on 2 ranks.
# Extra arguments go to the serial pytest run (e.g. scripts/test.sh -x -k disc).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# dolfinx JIT: no C optimisation for test runs (much faster compiles). Only here, never at the
# repo root, where it would silently slow production runs.
XDG_CONFIG_HOME=$(mktemp -d)
export XDG_CONFIG_HOME
mkdir -p "$XDG_CONFIG_HOME/dolfinx"
# timeout: a test process waits for a form another process is compiling (the worker processes
# below share the JIT cache), for at most 10 s by default; on a busy machine a compile can take longer
echo '{"cffi_extra_compile_args": ["-O0", "-g0"], "timeout": 300}' > "$XDG_CONFIG_HOME/dolfinx/dolfinx_jit_options.json"
export MPLBACKEND=Agg PYTHONUNBUFFERED=1

# The HTML-report test opens the report in headless Chromium (Debian package). Best effort:
# without it that one test is skipped and says why.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
        && [ -z "${SUBSIDENCE_NO_BROWSER:-}" ]; then
    echo "test: installing chromium for the report test (apt-get)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
        || echo "test: could not install chromium; the browser test will be skipped"
fi

# The one-rank suite runs in parallel processes (pytest-xdist; one per core, a test file's tests
# together in one process, so module fixtures are built once). SUBSIDENCE_TEST_WORKERS=N sets the
# number, 0 runs it in this process.
workers=${SUBSIDENCE_TEST_WORKERS:-auto}
xdist=()
[ "$workers" != 0 ] && xdist=(-n "$workers" --dist loadfile)
echo "== serial test suite (one rank; ${workers} worker processes)"
.venv/bin/python -m pytest -q -p no:cacheprovider ${xdist[@]+"${xdist[@]}"} --durations=15 "$@" tests   # the slowest: the CI budget

echo "== FE and MPI tests on 2 ranks (mpiexec -n 2)"
set +e
.venv/bin/mpiexec -n 2 .venv/bin/python -m mpi4py -m pytest -q -p no:cacheprovider -m "fem or mpi" tests
rc=$?
set -e
[ "$rc" -eq 5 ] && { echo "no FE/MPI tests collected"; rc=0; }
exit "$rc"
