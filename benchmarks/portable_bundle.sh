#!/usr/bin/env bash
# Pack the toolkit's FE stack into one relocatable tarball, for running the FE scaling benchmark
# on a machine that has a Python 3.12 with numpy and scipy but no package registry (an offline
# cluster node, a lent benchmark machine). gmsh is left out (with the X11/GL libraries it links,
# 25 MB of the 60 MB): make the coarse meshes here with `fem_scaling.py --prepare DIR` and run
# them there with `--from DIR` (parallel XDMF read, subsidence.mesh.store).
#
#   bash benchmarks/portable_bundle.sh OUT.tar.xz [JIT_CACHE_DIR]
#
# The tarball holds, stripped of debug symbols:
#   site/   dolfinx, the dolfinx-solver-real payload (PETSc, MUMPS, ...), basix, ffcx, ufl,
#           petsc4py, mpi4py, cffi, pycparser
#   lib/    libmpi.so.12 and its transports (mpich wheel)
#   bin/    mpiexec (hydra) and hydra_pmi_proxy
#   cache/  a filled FEniCS JIT cache (optional second argument; the target may lack a compiler)
#
# On the target machine (see benchmarks/portable_run.sh):
#   mkdir -p /tmp/fe && tar -xJf OUT.tar.xz -C /tmp/fe && source benchmarks/portable_run.sh /tmp/fe
#   python3 benchmarks/fem_scaling.py --from MESH_DIR --json scaling.json
set -euo pipefail
out=${1:?usage: portable_bundle.sh OUT.tar.xz [JIT_CACHE_DIR]}
cache=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/.venv
sp=$venv/lib/python3.12/site-packages
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/site" "$stage/lib" "$stage/bin"
for p in dolfinx dolfinx_solver dolfinx_solver_real.libs basix fenics_basix.libs ffcx ufl petsc4py \
         mpi4py cffi pycparser _cffi_backend.cpython-312-x86_64-linux-gnu.so; do
  cp -a "$sp/$p" "$stage/site/"
done
# distribution records: basix and ffcx read their versions, dolfinx_solver its scalar variant
for d in dolfinx_solver_real fenics_basix fenics_ffcx fenics_ufl mpi4py cffi pycparser; do
  cp -a "$sp"/$d-*.dist-info "$stage/site/"
done
cp -aL "$venv/lib/libmpi.so.12" "$stage/lib/"
cp -a "$venv/lib/mpich" "$stage/lib/"   # libfabric/UCX, found through libmpi's $ORIGIN/mpich
cp -a "$venv/bin/mpiexec.hydra" "$stage/bin/mpiexec"
cp -a "$venv/bin/hydra_pmi_proxy" "$stage/bin/"
# one OpenBLAS: basix's bundled copy is the same library as the PETSc payload's (saves 37 MB)
ob=$(basename "$stage"/site/fenics_basix.libs/libopenblas-*.so)
ln -sf ../dolfinx_solver/lib/libopenblas.so.0 "$stage/site/fenics_basix.libs/$ob"
find "$stage" \( -name __pycache__ -o -name include -o -name tests \) -type d -prune -exec rm -rf {} +
find "$stage" -name "*.so*" -type f -exec strip --strip-unneeded {} + 2>/dev/null || true
if [ -n "$cache" ]; then  # the .c files only mark entries as present (ffcx checks that they exist)
  mkdir -p "$stage/cache"; cp -a "$cache" "$stage/cache/fenics"; find "$stage/cache" -name "*.c" -exec truncate -s 0 {} +
fi
tar -C "$stage" -cf - . | xz -T0 -9 >"$out"
echo "$out: $(du -h "$out" | cut -f1)"
