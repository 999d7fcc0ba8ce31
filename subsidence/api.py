"""The Python API for notebooks: ``subsidence.run(case)`` returns the results in memory.

>>> import subsidence
>>> ds, summary = subsidence.run("cases/disc_geertsma.toml")          # or a dict, or a Case
>>> ds.uz.sel(time=ds.time[-1]).plot()                                  # the map
>>> ds.point_uz.sel(station=0).plot()                                   # a point's series

``case`` is a case file (path), the TOML data as a dict (as ``tomllib`` gives it), or a
:class:`~subsidence.config.Case`. Without ``out`` the run writes into a temporary directory
that is removed afterwards; with ``out`` the run directory is kept there (the same contract
as ``subsidence run``, with a real ``case.toml`` also for a dict).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple


class RunOutput(NamedTuple):
    """What :func:`run` returns: unpacks as ``ds, summary = subsidence.run(...)``."""

    dataset: object  # xarray.Dataset; dataset.attrs["run_directory"] when ``out`` was given
    summary: dict


def run(case, out=None, *, comm=None, force: bool = False, quiet: bool = True) -> RunOutput:
    """Run a case and return its results as an ``xarray.Dataset`` and the summary dict.

    The dataset holds the surface map (``ux, uy, uz`` over ``time, y, x``, from ``surface.nc``)
    and the point series (``point_ux, point_uy, point_uz`` and, for shallow and coupled runs,
    their other series prefixed ``point_``, over ``station, time``, from ``points.nc``), with
    ``time`` as calendar time when the case has a ``start_date`` and ``time_years`` always.
    ``ds.attrs`` holds ``case_name``, ``kind`` and ``run_directory`` (when ``out`` was given).
    """
    import logging

    from subsidence.config import Case, case_from_dict, load_case
    from subsidence.log import get_logger, setup_logging
    from subsidence.parallel import world
    from subsidence.run import run_case

    comm = comm if comm is not None else world()
    if isinstance(case, dict):
        case = case_from_dict(case)
    elif not isinstance(case, Case):
        case = load_case(case)
    if not get_logger().handlers:
        setup_logging(comm, level=logging.WARNING if quiet else logging.INFO)
    tmp = None
    if out is None:
        tmp = tempfile.mkdtemp(prefix="subsidence-") if comm.rank == 0 else None
        tmp = comm.bcast(tmp, root=0)
        target = Path(tmp) / "run"
    else:
        target = Path(out)
    try:
        summary = run_case(case, target, comm=comm, force=force)
        ds = load_results(target)
    finally:
        if tmp is not None:
            comm.Barrier()
            if comm.rank == 0:
                shutil.rmtree(tmp, ignore_errors=True)
    ds.attrs.update(case_name=case.name, kind=case.kind)
    if tmp is None:
        ds.attrs["run_directory"] = str(target.resolve())
    return RunOutput(ds, summary)


def load_results(path):
    """A run directory's ``surface.nc`` and ``points.nc`` as one ``xarray.Dataset`` (in memory)."""
    import xarray as xr

    path = Path(path)
    parts = []
    if (path / "surface.nc").is_file():
        with xr.open_dataset(path / "surface.nc") as g:
            parts.append(g.load())
    if (path / "points.nc").is_file():
        with xr.open_dataset(path / "points.nc") as p:
            p = p.load()
        p = p.rename({v: f"point_{v}" for v in p.data_vars if v != "spatial_ref"})
        p = p.rename({c: f"point_{c}" for c in ("x", "y") if c in p.coords})
        if parts:
            p = p.drop_vars([v for v in ("spatial_ref",) if v in p.variables])
        parts.append(p)
    if not parts:
        return xr.Dataset()
    ds = xr.merge(parts, join="outer", compat="override", combine_attrs="override")
    return ds
