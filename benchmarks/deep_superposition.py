"""Benchmark: analytic superposition for a large gridded reservoir (the PySub comparison case).

500 × 500 reservoir cells of 100 m at 3 km depth, surface grid 1500 × 1500 points (100 m)
covering the reservoir plus a 50 km margin on every side (nothing cut off), 20 output
times, vertical AND horizontal displacement, double precision, no kernel cut-off.

    .venv/bin/python benchmarks/deep_superposition.py [--cells 500] [--points 1500] [--times 20] [--per-cell]

Prints wall time of the computation and the peak resident memory of the process.
``--per-cell`` gives every cell its own pressure history (full-rank case: one FFT
convolution per output time instead of one in total).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=500)
    ap.add_argument("--points", type=int, default=1500)
    ap.add_argument("--times", type=int, default=20)
    ap.add_argument("--per-cell", action="store_true", help="independent pressure history in every cell")
    ap.add_argument("--kernel", default="geertsma", choices=("geertsma", "van-opstal"))
    a = ap.parse_args()

    from subsidence.deep.config import DeepConfig, ModelSpec, OutputSpec, ReservoirSpec
    from subsidence.deep.geometry import Lattice
    from subsidence.deep.gridded import GridShape
    from subsidence.deep.kernels import Kernel
    from subsidence.deep.sources import build_sources
    from subsidence.deep.superposition import compute_lattice, grid_displacement
    from subsidence.physics.compaction import Linear, PressureHistory
    from subsidence.units import SECONDS_PER_YEAR

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    h, n, npt, nt = 100.0, a.cells, a.points, a.times
    xc = (np.arange(n) - (n - 1) / 2) * h
    X, Y = np.meshgrid(xc, xc)
    times = np.linspace(1, nt, nt) * SECONDS_PER_YEAR
    thick = np.full(n * n, 100.0)
    if a.per_cell:
        rng = np.random.default_rng(1)
        scale = rng.uniform(0.5, 1.5, n * n)[:, None]
        delay = rng.uniform(0, 5, n * n)[:, None] * SECONDS_PER_YEAR
        th = np.linspace(0, nt, 2 * nt + 1) * SECONDS_PER_YEAR
        p = PressureHistory(th, -1e7 * scale * np.clip((th[None, :] - delay) / (nt * SECONDS_PER_YEAR), 0, None))
    else:
        p = None
    grid = GridShape(X.ravel(), Y.ravel(), h, h, np.full(n * n, 3000.0), thick, None, p)
    res = ReservoirSpec("block", grid, None, None, Linear(cm=1e-10),
                        None if a.per_cell else PressureHistory(np.array([0, nt]) * SECONDS_PER_YEAR, np.array([0, -1e7])))
    half = (npt - 1) / 2 * h
    out = Lattice(-half, -half, h, h, npt, npt)
    cfg = DeepConfig(ModelSpec("analytic", a.kernel, 0.25, 9000.0 if a.kernel == "van-opstal" else None), [res],
                     OutputSpec(times, out, [], np.zeros(0), np.zeros(0)))
    kernel = Kernel(a.kernel, 0.25, cfg.model.basement_depth)

    t0 = time.perf_counter()
    lat, m = compute_lattice(out, 3000.0)
    src = build_sources(cfg, lat, times)
    t1 = time.perf_counter()
    peak = {}

    def sink(it, ux, uy, uz):  # a consumer (e.g. the NetCDF writer) gets every step; keep the last
        if it == nt - 1:
            peak["uz"] = float(-uz.min())
            peak["h"] = float(np.hypot(ux, uy).max())

    stats = grid_displacement(src, kernel, out, sink, lattice=lat, m=m)
    t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"reservoir cells        {n} x {n} ({n * n} cells, {h:g} m) at 3000 m; kernel {a.kernel}")
    print(f"surface points         {npt} x {npt} ({npt * npt / 1e6:.2f} M), {nt} output times, ux+uy+uz, float64")
    print(f"time-rank / path       {stats['rank']} / {stats['path']}; FFT {stats['fft_shape']}")
    print(f"set-up (cells, SVD)    {t1 - t0:8.2f} s")
    print(f"superposition          {t2 - t1:8.2f} s")
    print(f"total                  {t2 - t0:8.2f} s")
    print(f"peak RSS               {rss:8.0f} MB  (interpreter + imports before: {rss0:.0f} MB)")
    print(f"last step: max subsidence {peak['uz'] * 1e3:.2f} mm, max horizontal {peak['h'] * 1e3:.2f} mm")


if __name__ == "__main__":
    main()
