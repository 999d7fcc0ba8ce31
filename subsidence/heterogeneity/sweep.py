"""Sweeps over heterogeneity parameters (issue 10): ``[sweep]`` in an FE case, run by
``python -m subsidence.heterogeneity.sweep CASE --out DIR`` (on any number of MPI ranks).

```toml
[sweep]
parameters = [
  { key = "faults.0.hanging_wall.factor", values = [0.4, 0.7, 1.0] },
  { key = "random_fields.0.seed", values = [1, 2, 3] },
]
combine = "product"     # every combination (default), or "zip" (the i-th values together)
groups = 0              # MPI sub-communicators (default: one per rank, at most one per member)
```

``key`` is a dotted path into the case file (array elements by index from 0, e.g.
``bodies.1.E``); each member is the case with those values set and without ``[sweep]`` and
``[heterogeneity]``. Every member is checked when the case is loaded (a bad key or value is an
error naming the member).

The run directory ``DIR`` gets ``reference/`` (the homogeneous FE reference of the case, on
all ranks), ``members/m000`` … (ordinary run directories; the members are dealt round-robin
to the groups, each on its own sub-communicator of ``comm.Split``), then, on rank 0, ``bowl/``
(``subsidence bowl`` of the members against the reference: metrics.csv, differences.nc, maps),
``sweep.csv`` (one line per member: its parameter values and bowl metrics, and for each metric
``diff_<metric>`` = member − reference in the metric's unit and ``rel_change_<metric without
its unit>`` = member / reference − 1, a fraction; the older ``change_<metric>`` columns hold the
same fraction despite the unit in their names and are kept for existing readers) and
``sweep_<parameter>.png`` (the relative changes against each parameter, in %).

Restart: a member (or the reference) whose directory holds a complete run of the same case
(``manifest.json`` with the member's case hash) is not run again, so a sweep that was
interrupted continues where it stopped; the reference's hash does not include ``[sweep]``, so
changing the swept values does not rerun it. A member or reference folder without a readable
``manifest.json`` (an interrupted run) is moved to ``<name>.failed`` and run again (the run
removes it when it completes). Members of an earlier, larger sweep in the same ``DIR`` (``mNNN``
beyond this sweep's last) are moved to ``DIR/stale/`` with a warning, and ``bowl/``,
``sweep.csv`` and the plots are written anew, so no output of the earlier sweep remains beside
this one's. Rank 0 logs the members done and the time left.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import os
import re
import shutil
import time
from pathlib import Path

from subsidence.log import get_logger

log = get_logger("sweep")

METRICS = ("max_subsidence_m", "width_major_10pct_m", "asymmetry_major", "bowl_volume_m3", "max_horizontal_m",
           "max_tilt", "max_horizontal_strain")


@dataclasses.dataclass
class SweepSpec:
    keys: list[str]
    members: list[tuple]  # the values of each member, in the order of keys
    groups: int = 0


def set_key(data: dict, key: str, value):
    """Set ``value`` at the dotted path ``key`` of nested dicts/lists (KeyError/IndexError if absent)."""
    parts = key.split(".")
    node = data
    def index(p):  # array elements by index from 0 (a negative one would count from the end: refused)
        i = int(p)
        if i < 0:
            raise IndexError(key)
        return i

    for p in parts[:-1]:
        node = node[index(p)] if isinstance(node, list) else node[p]
    last = parts[-1]
    if isinstance(node, list):
        node[index(last)] = value
    else:
        if not isinstance(node, dict):
            raise KeyError(key)
        node[last] = value


def member_data(data: dict, spec: SweepSpec, i: int) -> dict:
    d = copy.deepcopy(data)
    d.pop("sweep", None)
    d.pop("heterogeneity", None)
    for k, v in zip(spec.keys, spec.members[i]):
        set_key(d, k, v)
    d["name"] = f"{data['name']}-m{i:03d}"
    return d


#: fault keys that set a block's material (the homogeneous reference turns those blocks off)
FAULT_BLOCK_KEYS = ("hanging_wall", "footwall", "regions")


def changes_reference(key: str) -> bool:
    """Whether sweeping ``key`` also changes what the sweep's homogeneous reference keeps (reservoirs,
    layers, model, mesh, outputs, a fault's geometry): the reference runs once, for the base case."""
    parts = key.split(".")
    if parts[0] in ("bodies", "random_fields"):
        return False
    return not (parts[0] == "faults" and len(parts) > 2 and parts[2] in FAULT_BLOCK_KEYS)


def parse_sweep(root, case_data: dict, *, warn=None) -> SweepSpec | None:
    """``[sweep]`` (read by the FE case parser); each member is parsed as a case to check it.
    ``warn``: where to say that a swept key changes more than the heterogeneity (case.warn)."""
    from subsidence.config import CaseError
    from subsidence.config.case import case_from_dict

    t = root.table("sweep", None)
    if t is None:
        return None
    raw = t.raw("parameters")
    if not isinstance(raw, list) or not raw or not all(isinstance(p, dict) for p in raw):
        raise t.error("parameters", 'expected an array of {key = "...", values = [...]} tables')
    keys, values = [], []
    for j, p in enumerate(raw):
        if set(p) != {"key", "values"} or not isinstance(p["key"], str) or not isinstance(p["values"], list) \
                or not p["values"]:
            raise t.error(f"parameters[{j}]", 'expected {key = "dotted.path", values = [v1, v2, ...]}')
        head = p["key"].split(".")[0]
        if head in ("name", "sweep", "heterogeneity"):
            raise t.error(f"parameters[{j}]", f"{p['key']!r} cannot be swept: every member is run without [sweep] "
                                              "and [heterogeneity], under the name of the case with -mNNN appended")
        keys.append(p["key"])
        values.append(list(p["values"]))
    if len(set(keys)) != len(keys):
        raise t.error("parameters", f"a key is swept twice: {keys}")
    combine = t.string("combine", "product", choices=("product", "zip"))
    if combine == "zip" and len({len(v) for v in values}) != 1:
        raise t.error("combine", f'"zip" needs the same number of values for every key, got {[len(v) for v in values]}')
    members = list(itertools.product(*values)) if combine == "product" else list(zip(*values))
    spec = SweepSpec(keys, members, groups=int(t.number("groups", 0, integer=True, ge=0)))
    t.finish()
    beyond = [k for k in keys if changes_reference(k)]
    if beyond and warn is not None:
        warn(f"[{t.key('parameters')}] {', '.join(beyond)}: not a body, fault block or random field, so the homogeneous "
             "reference (run once, for the base case) does not follow it: each member's diff_* and rel_change_* are "
             "against the base case and hold the effect of this change, not of the heterogeneity alone")
    for i in range(len(members)):
        what = ", ".join(f"{k} = {v!r}" for k, v in zip(keys, members[i]))
        try:
            d = member_data(case_data, spec, i)
        except (KeyError, IndexError, ValueError, TypeError):
            raise t.error("parameters", f"member {i} ({what}): a key is not in the case file "
                                        "(dotted path, array elements by index from 0)") from None
        try:
            case_from_dict(d, file=root.file)
        except CaseError as exc:
            raise t.error("parameters", f"member {i} ({what}) is not a valid case: {exc}") from None
    return spec


def _manifest(path: Path) -> dict | None:
    try:
        m = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return m if isinstance(m, dict) else None


def _complete(path: Path, sha: str | tuple) -> bool:
    m = _manifest(path)
    shas = (sha,) if isinstance(sha, str) else tuple(sha)
    return m is not None and bool(m.get("complete")) and m.get("case_sha256") in shas


def reference_data(case) -> dict:
    """The case data of the sweep's homogeneous FE reference: without ``[sweep]``, so that
    changing the swept values leaves it (and its hash) as it is."""
    from subsidence.heterogeneity.reference import fem_reference_data

    data = fem_reference_data(case)
    data.pop("sweep", None)
    return data


def _legacy_reference_sha(case) -> str | None:
    """The hash of the reference as sweeps before the one above ran it (with ``[sweep]``), so that
    such a sweep folder resumes without running its reference again."""
    import hashlib

    from subsidence.config.case import dict_to_toml
    from subsidence.heterogeneity.reference import fem_reference_data

    try:  # (dict_to_toml makes the values TOML-able itself, as the sweeps before did first)
        return hashlib.sha256(dict_to_toml(fem_reference_data(case), file=case.file).encode()).hexdigest()
    except Exception:  # noqa: BLE001  (only a shortcut: without it the reference runs again)
        return None


def _move_aside(path: Path, to: Path) -> None:
    if to.is_dir() and not to.is_symlink():
        shutil.rmtree(to)
    elif to.exists() or to.is_symlink():
        to.unlink()
    to.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, to)


def tidy(out: Path, n: int) -> None:
    """Rank 0, before running: make the sweep folder ``out`` resumable for a sweep of ``n`` members.
    A reference or member folder without a readable manifest (an interrupted or damaged run) is
    moved to ``<name>.failed`` (the new run removes it when it completes); member folders
    ``mNNN`` with NNN >= n (left by an earlier, larger sweep) go to ``out/stale/``."""
    for path in [out / "reference"] + [out / "members" / f"m{i:03d}" for i in range(n)]:
        if (path.exists() or path.is_symlink()) and _manifest(path) is None:
            log.warning("sweep: %s holds no complete run (no readable manifest.json): moved to %s and run again",
                        path.relative_to(out), path.name + ".failed")
            _move_aside(path, path.with_name(path.name + ".failed"))
    members = out / "members"
    if not members.is_dir():
        return
    for path in sorted(members.iterdir()):
        m = re.fullmatch(r"m(\d+)(\.failed)?", path.name)
        if m and int(m.group(1)) >= n:
            log.warning("sweep: members/%s is not a member of this sweep (%d member(s), m000 to m%03d): moved to "
                        "stale/%s", path.name, n, n - 1, path.name)
            _move_aside(path, out / "stale" / path.name)


def run_sweep(case, out, comm) -> dict:
    """Run the reference and the members (collective on ``comm``); rank 0 writes the tables."""
    from subsidence.config.case import case_from_dict
    from subsidence.run import run_case

    from subsidence.config import CaseError

    spec = getattr(getattr(case.config, "fem", None), "sweep", None)
    if spec is None:
        raise CaseError(str(case.file), "sweep", "no [sweep] table: a sweep needs an FE case with [sweep] "
                        "(the parameters to vary, see docs/heterogeneity.md)")
    from mpi4py import MPI  # noqa: F401  (before petsc4py)
    from petsc4py import PETSc  # noqa: F401

    # PETSc initialises collectively on COMM_WORLD at its first import: every rank must do it here,
    # before the groups split (a group importing it first would wait for the others forever)
    out = Path(out).resolve()
    t0 = time.perf_counter()
    ref = case_from_dict(reference_data(case), file=case.file)
    cases = [case_from_dict(member_data(case.data, spec, i), file=case.file) for i in range(len(spec.members))]
    n = len(cases)
    if comm.rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        tidy(out, n)
    comm.Barrier()
    legacy = _legacy_reference_sha(case)
    if not _complete(out / "reference", (ref.sha256,) + ((legacy,) if legacy else ())):
        run_case(ref, out / "reference", comm=comm)
    groups = min(spec.groups or comm.size, comm.size, n)
    color = comm.rank % groups
    sub = comm.Split(color, comm.rank)
    mine = [i for i in range(n) if i % groups == color]
    skipped = sum(_complete(out / "members" / f"m{i:03d}", cases[i].sha256) for i in range(n))
    if comm.rank == 0:
        log.info("sweep of %d members on %d group(s) of ranks; %d complete already (skipped)", n, groups, skipped)
    ran, t_run = 0, time.perf_counter()
    for i in mine:
        path = out / "members" / f"m{i:03d}"
        if _complete(path, cases[i].sha256):
            continue
        run_case(cases[i], path, comm=sub)
        ran += 1
        if comm.rank == 0:
            done = sum(_complete(out / "members" / f"m{k:03d}", cases[k].sha256) for k in range(n))
            per = (time.perf_counter() - t_run) / ran
            left = per * max(len([k for k in mine if not _complete(out / "members" / f"m{k:03d}", cases[k].sha256)]), 0)
            log.info("sweep: %d of %d members done (%.0f s per member here, about %.0f s left)", done, n, per, left)
    sub.Free()
    comm.Barrier()
    summary: dict = {}
    if comm.rank == 0:  # serial tables and plots, no collectives
        summary = _tables(case, spec, out)
        summary.update(members=n, groups=groups, skipped=skipped, wall_s=round(time.perf_counter() - t0, 3))
    return comm.bcast(summary, root=0)


def _tables(case, spec: SweepSpec, out: Path) -> dict:
    import csv
    import types

    from subsidence.heterogeneity.reference import write_bowl

    n = len(spec.members)
    runs = [("reference", "reference")] + [(f"m{i:03d}", f"members/m{i:03d}") for i in range(n)]
    study = types.SimpleNamespace(contour=None, window=None, velocity_noise=1e-3, incidence=39.0)
    bowl, partial = out / "bowl", out / "bowl.partial"
    shutil.rmtree(partial, ignore_errors=True)
    write_bowl(partial, runs, study, has_reference=True, base=out)  # anew: no maps of an earlier sweep's members
    shutil.rmtree(bowl, ignore_errors=True)
    os.replace(partial, bowl)
    with open(bowl / "metrics.csv", newline="") as fh:
        rows = {r["run"]: r for r in csv.DictReader(fh)}
    ref = rows["reference"]
    table = []
    for i in range(n):
        r = rows[f"m{i:03d}"]
        row = {"member": f"m{i:03d}", **{k: v for k, v in zip(spec.keys, spec.members[i])}}
        both = [m for m in METRICS if r.get(m) not in (None, "") and ref.get(m) not in (None, "")]
        rel = {m: float(r[m]) / float(ref[m]) - 1.0 if float(ref[m]) else float("nan") for m in both}
        for m in both:  # the columns as they always were: change_* is the fraction, whatever the name's unit
            row[m] = float(r[m])
            row[f"change_{m}"] = rel[m]
        for m in both:  # then, correctly named: the difference in the metric's unit and the fraction
            row[f"diff_{m}"] = float(r[m]) - float(ref[m])
            row[f"rel_change_{_unitless(m)}"] = rel[m]
        table.append(row)
    keys = list(dict.fromkeys(k for row in table for k in row))
    tmp = out / "sweep.csv.partial"
    with open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        for row in table:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    os.replace(tmp, out / "sweep.csv")
    _plots(out, spec, table, ref)
    return {"table": str(out / "sweep.csv")}


def _unitless(metric: str) -> str:
    """``max_subsidence_m`` -> ``max_subsidence``, ``bowl_volume_m3`` -> ``bowl_volume`` (a relative
    change has no unit)."""
    return re.sub(r"_(m|m2|m3)$", "", metric)


def _plots(out: Path, spec: SweepSpec, table: list[dict], ref: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for old in out.glob("sweep_*.png"):  # made anew: none of an earlier sweep in this folder remains
        old.unlink()
    for key in spec.keys:
        try:
            xs = [float(row[key]) for row in table]
        except (TypeError, ValueError):
            continue  # non-numeric parameter: the table has it
        fig, axes = plt.subplots(1, len(METRICS), figsize=(3.2 * len(METRICS), 3.2))
        for ax, m in zip(axes, METRICS):
            ys = [100 * row.get(f"rel_change_{_unitless(m)}", float("nan")) for row in table]
            ax.plot(xs, ys, "o")
            ax.axhline(0.0, color="k", lw=0.6)
            ax.set_xlabel(key, fontsize=8)
            ax.set_title(m, fontsize=8)
            ax.set_ylabel("change from the reference (%)", fontsize=8)
        fig.tight_layout()
        fig.savefig(out / f"sweep_{key.replace('.', '_')}.png", dpi=100)
        plt.close(fig)


def add_arguments(p) -> None:
    p.add_argument("case", help="FE case file with a [sweep] table (and usually [heterogeneity])")
    p.add_argument("--out", "-o", required=True, help="sweep directory; a sweep started there before resumes (finished "
                                                     "members are not run again)")
    p.add_argument("--quiet", "-q", action="store_true", help="only warnings and errors")


def main(args=None) -> int:
    """``subsidence sweep CASE --out DIR`` (``args`` from the CLI), or ``python -m
    subsidence.heterogeneity.sweep`` (``args`` None or a list of strings)."""
    from subsidence.config.case import load_case
    from subsidence.parallel import world

    comm = world()
    if args is None or isinstance(args, list):
        import argparse

        from subsidence.log import setup_logging

        p = argparse.ArgumentParser(prog="python -m subsidence.heterogeneity.sweep", description=__doc__.split("\n")[0])
        add_arguments(p)
        args = p.parse_args(args)
        setup_logging(comm)
    case = load_case(args.case)
    s = run_sweep(case, args.out, comm)
    if comm.rank == 0:
        print(f"sweep of {s['members']} members: {s['table']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
