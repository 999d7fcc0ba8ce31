"""What a run will need: peak memory and disk, estimated from the case before anything is computed.

``subsidence check`` prints the estimate and refuses a case that cannot fit; ``run_case``
refuses it too, before computing (a 20 000 x 20 000 output grid used to pass ``check`` and die
in ``run`` after minutes with a MemoryError).

The estimate covers what grows with the case: the analytic superposition (FFT lattice, output
buffers, plots) and the files it writes (``surface.nc`` in float64, ``points.csv``). It is
calibrated on measured peak RSS of the disc case (201² to 2001² output grids) and checked on
the Groningen case; the formula errs on the high side by 4-20 %. Finite-element meshes and solvers are not estimated (their size
follows from the mesh, made at run time); neither are the small shallow and cavern outputs.

Set ``SUBSIDENCE_NO_RESOURCE_CHECK=1`` to run a case that the estimate refuses.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import numpy as np

from subsidence.config.errors import CaseError

BASE_MEMORY = 250e6  # interpreter, numpy/scipy, netCDF, matplotlib (measured ~210 MB)
BYTES_PER_FFT_POINT = 64  # accumulators (3), source and kernel spectrum, real temporaries
BYTES_PER_OUTPUT_POINT = 56  # FE runs: buffers, last-time copy (3 components each)
ANALYTIC_BYTES_PER_OUTPUT_POINT = 300  # per time: 11 fields (displacement and its derivatives) convolved and
#                                        combined, the 4 deformation measures and temporaries, the last time's copies
FIELDS_PER_OUTPUT_POINT = 11  # ux, uy, uz and the 8 derivatives of the deformation measures
SUPERPOSITION_BUDGET = 256e6  # memory_budget of subsidence.deep.superposition.grid_fields
PLOT_BYTES_PER_OUTPUT_POINT = 16  # map and cross-section figures of the last time
OVERRIDE_ENV = "SUBSIDENCE_NO_RESOURCE_CHECK"


@dataclasses.dataclass
class Estimate:
    memory: float | None  # bytes, peak; None: not estimated
    disk: float | None  # bytes written
    memory_available: float | None
    disk_free: float | None
    disk_path: Path | None
    key: str = "output.grid"  # the case key that drives the size
    notes: list[str] = dataclasses.field(default_factory=list)

    def describe(self) -> str:
        parts = []
        if self.memory is not None:
            avail = f" (available {fmt_bytes(self.memory_available)})" if self.memory_available else ""
            parts.append(f"peak memory about {fmt_bytes(self.memory)}{avail}")
        if self.disk is not None:
            free = f" (free {fmt_bytes(self.disk_free)} at {self.disk_path})" if self.disk_free is not None else ""
            parts.append(f"disk about {fmt_bytes(self.disk)}{free}")
        text = "estimate: " + ", ".join(parts) if parts else "estimate: not available for this case"
        if self.notes:
            text += "; " + "; ".join(self.notes)
        return text

    def problem(self) -> str | None:
        """Why the run cannot fit, or None."""
        if self.memory is not None and self.memory_available is not None and self.memory > self.memory_available:
            return (f"the run needs about {fmt_bytes(self.memory)} of memory, only {fmt_bytes(self.memory_available)} "
                    "is available")
        if self.disk is not None and self.disk_free is not None and self.disk > self.disk_free:
            return (f"the run writes about {fmt_bytes(self.disk)}, only {fmt_bytes(self.disk_free)} is free "
                    f"at {self.disk_path}")
        return None


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "?"
    for unit, f in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= f:
            return f"{n / f:.3g} {unit}"
    return f"{n:.0f} B"


def available_memory() -> float | None:
    """Bytes of memory available to this process: MemAvailable, capped by a cgroup (container/job) limit."""
    avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = float(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if avail is None:
        try:
            avail = float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            avail = None
    for lim_f, cur_f in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                         ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            lim = Path(lim_f).read_text().strip()
            cur = float(Path(cur_f).read_text().strip())
        except (OSError, ValueError):
            continue
        if lim.isdigit() and float(lim) < 1e18:  # "max" or a huge number: no limit
            room = float(lim) - cur
            avail = room if avail is None else min(avail, room)
        break
    return avail


def free_disk(path: str | Path) -> tuple[float | None, Path]:
    p = Path(path).resolve()
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return float(shutil.disk_usage(p).free), p
    except OSError:
        return None, p


def estimate(case, out: str | Path | None = None) -> Estimate:
    """Peak memory and disk of running ``case`` into ``out`` (default: the current directory)."""
    mem = disk = None
    notes: list[str] = []
    cfg = case.config
    output = getattr(cfg, "output", None)
    if case.kind == "deep" and output is not None:
        nt = len(output.times)
        npnt = len(output.point_names)
        mem = BASE_MEMORY + 2 * 3 * 8 * npnt * nt
        disk = 3e6 + 90.0 * npnt * nt  # figures, json, case; points.csv
        g = output.grid
        if g is not None:
            npx = float(g.nx) * float(g.ny)
            disk += 3 * 8 * nt * npx + 8 * (g.nx + g.ny + 2 * nt)
            if cfg.model.method == "analytic":
                disk += 4 * 8 * nt * npx  # deformation.nc
                nfft = _fft_points(cfg)
                fields = 8.0 * FIELDS_PER_OUTPUT_POINT
                kernel_cache = fields * nfft if fields * nfft <= SUPERPOSITION_BUDGET else 0.0
                rank = len(cfg.reservoirs)  # one time factor per reservoir with one pressure history
                basis = rank * fields * npx if rank < nt and rank * fields * npx <= SUPERPOSITION_BUDGET else 0.0
                mem += BYTES_PER_FFT_POINT * nfft + kernel_cache + basis \
                    + (ANALYTIC_BYTES_PER_OUTPUT_POINT + PLOT_BYTES_PER_OUTPUT_POINT) * npx
            else:
                mem += (3 * 8 * nt + BYTES_PER_OUTPUT_POINT + PLOT_BYTES_PER_OUTPUT_POINT) * npx
        if cfg.model.method != "analytic":
            notes.append("finite-element mesh, solver and field files not included")
    free, where = free_disk(out if out is not None else Path.cwd())
    return Estimate(memory=mem, disk=disk, memory_available=available_memory(), disk_free=free, disk_path=where,
                    notes=notes)


def _fft_points(cfg) -> float:
    """Size of the FFT lattice of the analytic superposition (as in grid_displacement)."""
    from scipy import fft as sfft

    from subsidence.studies.deep import _lattice

    lat, m = _lattice(cfg)
    g = cfg.output.grid
    b = np.array([r.shape.bounds for r in cfg.reservoirs], float)
    ns_x = (b[:, 1].max() - b[:, 0].min()) / lat.dx + 3
    ns_y = (b[:, 3].max() - b[:, 2].min()) / lat.dy + 3
    ly = ns_y + (g.ny - 1) * m
    lx = ns_x + (g.nx - 1) * m
    if ly * lx < 1e12:
        ly, lx = sfft.next_fast_len(int(ly), real=True), sfft.next_fast_len(int(lx), real=True)
    return float(ly) * float(lx)


def refuse_if_too_big(case, est: Estimate) -> None:
    """A CaseError (file, key, reason) when the run cannot fit; nothing when it can (or the check is off)."""
    why = est.problem()
    if why is None or os.environ.get(OVERRIDE_ENV, "").strip() not in ("", "0"):
        return
    fix = "a coarser or smaller output grid or fewer output times" if "memory" in why else \
        "another --out, or a coarser or smaller output grid or fewer output times"
    raise CaseError(str(case.file), est.key, f"{why}; use {fix} (set {OVERRIDE_ENV}=1 to try anyway)")


def check_fits(case, out, comm=None) -> Estimate | None:
    """Refuse (CaseError on every rank) a run that cannot fit; rank 0 decides, the others follow."""
    rank = comm.rank if comm is not None else 0
    est, err = None, None
    if rank == 0:
        try:
            est = estimate(case, out)
            refuse_if_too_big(case, est)
        except CaseError as exc:
            err = exc
        except Exception as exc:  # an estimate must never stop a run that would work
            from subsidence.log import get_logger

            get_logger("resources").debug("no resource estimate: %s", exc)
    if comm is not None and comm.size > 1:
        args = comm.bcast((err.file, err.key, err.reason) if err is not None else None, root=0)
        err = CaseError(*args) if args is not None else None
    if err is not None:
        raise err
    return est
