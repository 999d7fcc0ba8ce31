# Source this after unpacking a tarball of benchmarks/portable_bundle.sh into DIR, from the
# repository root:   source benchmarks/portable_run.sh DIR
# It points the Python that is first on PATH (3.12, with numpy and scipy) at the bundled FE
# stack, the bundled MPICH and the bundled JIT cache; then run e.g.
#   python3 benchmarks/fem_scaling.py --ranks 1 2 4 8 16 --kind strong --strong-dofs 1e6
_fe=$(cd "${1:?usage: source benchmarks/portable_run.sh DIR}" && pwd)
export PYTHONPATH="$_fe/site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
export LD_LIBRARY_PATH="$_fe/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export MPI4PY_LIBMPI="$_fe/lib/libmpi.so.12"
export PATH="$_fe/bin:$PATH"
export HYDRA_LAUNCHER=fork                    # one node: no ssh
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1  # one thread per MPI rank
[ -d "$_fe/cache/fenics" ] && export XDG_CACHE_HOME="$_fe/cache"
unset _fe
