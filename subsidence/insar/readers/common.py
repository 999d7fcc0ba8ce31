"""Shared reading machinery: date columns, CRS transformation, chunked CSV, bad-data rules.

Every reader ends in :func:`finalize`, which applies the same explicit bad-data rules to
every format (each dropped point or epoch is counted under a reason in
``dataset.skipped``; nothing is dropped silently):

- non-finite coordinates -> point skipped ("no valid coordinates");
- outside the model domain (``bbox``) -> point skipped while reading ("outside model domain");
- duplicate id -> later occurrences skipped ("duplicate id");
- same position and identical time series as an earlier point -> skipped ("duplicate point");
- epochs out of order -> sorted (noted in provenance); the same date twice -> the later
  column skipped ("duplicate date");
- epochs that are missing (NaN) for every point -> dropped ("epoch without data");
- points with fewer than ``min_epochs`` valid epochs -> skipped ("too few valid epochs");
- individual NaN values are kept as NaN and counted (``missing_values`` in the summary).
"""

from __future__ import annotations

import csv
import datetime as _dt
import logging
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from subsidence.config.errors import CaseError
from subsidence.insar.data import InsarDataset, file_sha256
from subsidence.log import get_logger

log = get_logger("insar")

_DATE_RE = re.compile(r"^(?:d_|D|d)?(\d{4})-?(\d{2})-?(\d{2})$")
DEFAULT_CHUNK = 20000


def date_of_column(name: str) -> _dt.date | None:
    """``20180110``, ``d_20180110``, ``D20180110``, ``2018-01-10`` -> date; anything else -> None."""
    m = _DATE_RE.match(name.strip())
    if not m:
        return None
    try:
        return _dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def header(path: Path, *, delimiter: str = ",") -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        row = next(csv.reader(f, delimiter=delimiter), None)
    if not row:
        raise CaseError(str(path), "", "empty file (no header line)")
    return [c.strip() for c in row]


def date_columns(path: Path, cols: list[str]) -> tuple[list[int], list[_dt.date]]:
    pos, dates = [], []
    for i, c in enumerate(cols):
        d = date_of_column(c)
        if d is not None:
            pos.append(i)
            dates.append(d)
    if not pos:
        raise CaseError(str(path), "", "no displacement columns named by date (YYYYMMDD, d_YYYYMMDD or YYYY-MM-DD)")
    return pos, dates


def find_column(cols: list[str], candidates, *, path: Path | None = None, what: str = "", required: bool = True):
    """Position of the first column whose (case-insensitive) name is in ``candidates``."""
    low = [c.lower() for c in cols]
    for cand in ([candidates] if isinstance(candidates, str) else candidates):
        if cand.lower() in low:
            return low.index(cand.lower())
    if required:
        raise CaseError(str(path), "", f"no {what or 'required'} column (looked for: {', '.join(candidates)})")
    return None


def transformer(src_crs: str | None, dst_crs: str | None, *, path: Path, key: str = "crs"):
    """A pyproj transformer src -> dst (always x=east/lon, y=north/lat); None when identical."""
    import pyproj

    if src_crs is None:
        raise CaseError(str(path), key, "the CRS of the coordinates is unknown; declare it (e.g. --insar-crs EPSG:28992)")
    try:
        src = pyproj.CRS.from_user_input(src_crs)
    except Exception as exc:
        raise CaseError(str(path), key, f"unknown CRS {src_crs!r} ({exc})") from None
    if dst_crs is None:
        return None
    try:
        dst = pyproj.CRS.from_user_input(dst_crs)
    except Exception as exc:
        raise CaseError(str(path), "crs", f"unknown model CRS {dst_crs!r} ({exc})") from None
    if src == dst:
        return None
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def apply_transform(tr, x, y):
    if tr is None:
        return np.asarray(x, float), np.asarray(y, float)
    x2, y2 = tr.transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(x2, float), np.asarray(y2, float)


def in_bbox(x, y, bbox) -> np.ndarray:
    if bbox is None:
        return np.isfinite(x) & np.isfinite(y)
    x0, y0, x1, y1 = bbox
    return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


def read_csv_chunks(path: Path, positions: list[int], *, chunksize: int, delimiter: str = ",", text_pos=()):
    """Yield DataFrames of the given column positions (named by position), ``chunksize`` rows each.
    The row index counts data rows from 0 over the whole file (line = index + 2). Columns in
    ``text_pos`` are read as text, exactly as written (point ids: "007" stays "007", not 7)."""
    import pandas as pd

    try:
        reader = pd.read_csv(
            path, header=None, skiprows=1, usecols=sorted(set(positions)), chunksize=chunksize,
            sep=delimiter, low_memory=True, encoding="utf-8-sig", dtype={p: str for p in text_pos},
        )
        yield from reader
    except pd.errors.EmptyDataError:
        raise CaseError(str(path), "", "the file has a header line but no data rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise CaseError(str(path), "", f"cannot read as CSV ({exc})") from None


def point_ids(path: Path, series) -> np.ndarray:
    """The point ids of a chunk (a column read as text), stripped; an empty id is an error
    naming the column and the line (it would otherwise become the id "nan")."""
    ids = series.str.strip()
    bad = ids.isna() | (ids == "")
    if bad.any():
        line = int(series.index[np.flatnonzero(bad.to_numpy())[0]]) + 2
        raise CaseError(str(path), _column_name(path, series, "id") or "id",
                        f"line {line}: empty point id ({int(bad.sum())} in the rows read so far); every point needs an id")
    return ids.to_numpy(dtype=str)


def _column_name(path: Path, series, col: str) -> str:
    """The header name of a column read by position (falls back to ``col``)."""
    try:
        return header(path)[int(series.name)]
    except (TypeError, ValueError, IndexError, CaseError, OSError):
        return col


def non_numeric_error(path: Path, series, col: str = "") -> CaseError | None:
    """A CaseError naming the column and the row of the first value that is text, not a number
    (empty cells and NaN are missing values, not errors); None when every value is a number."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(series.dtype):
        return None
    num = pd.to_numeric(series, errors="coerce")
    text = series.astype("string").str.strip()
    bad = (num.isna() & series.notna() & (text != "") & ~text.str.lower().isin(("nan", "na", "n/a", "null", "none"))).fillna(False)
    if not bad.any():
        return None
    i = int(np.flatnonzero(bad.to_numpy(dtype=bool))[0])
    row = series.index[i]
    where = f"data row {row + 1} (line {row + 2})" if isinstance(row, (int, np.integer)) else f"row {row}"
    return CaseError(str(path), _column_name(path, series, col),
                     f"non-numeric value {series.iloc[i]!r} in column {_column_name(path, series, col)!r}, {where}")


def to_float(series, *, path: Path, col: str) -> np.ndarray:
    """A column as floats; empty cells -> NaN; text that is not a number is an error (column, row)."""
    import pandas as pd

    err = non_numeric_error(path, series, col)
    if err is not None:
        raise err
    v = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    return v


def check_incidence(inc, *, path: Path, key: str, index=None) -> None:
    """Incidence angles must lie in (0, 90) degrees from the vertical (NaN: no geometry, skipped later)."""
    a = np.atleast_1d(np.asarray(inc, dtype=float))
    bad = np.isfinite(a) & ((a <= 0.0) | (a >= 90.0))
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    where = ""
    if index is not None:
        row = index[i]
        where = f" in data row {row + 1} (line {row + 2})"
    hint = " (radians? give degrees)" if 0 < a[i] < 1.6 else ""
    raise CaseError(str(path), key, f"incidence angle {a[i]:g} deg{where} is outside (0, 90) deg{hint}; "
                    "it is the angle between the vertical and the line of sight, in degrees")


def chunked_points(
    path: Path,
    *,
    date_pos: list[int],
    other_pos: list[int],
    chunk_fn: Callable,
    bbox,
    chunksize: int,
    scale: float,
    delimiter: str = ",",
    text_pos=(),
) -> dict:
    """Read a wide CSV chunk by chunk. ``chunk_fn(df) -> dict(ids, x, y, [los], [sigma])`` with
    x, y already in the model CRS; points outside ``bbox`` are dropped per chunk so that only
    the kept points are held in memory (float32 displacements)."""
    parts: dict[str, list] = {"ids": [], "x": [], "y": [], "disp": [], "los": [], "sigma": []}
    n_read = n_bad_xy = n_out = 0
    nchunks = 0
    ext = [np.inf, -np.inf, np.inf, -np.inf]  # where the points with valid coordinates lie (model CRS)
    for df in read_csv_chunks(path, date_pos + other_pos, chunksize=chunksize, delimiter=delimiter, text_pos=text_pos):
        nchunks += 1
        n_read += len(df)
        got = chunk_fn(df)
        x, y = got["x"], got["y"]
        ok = np.isfinite(x) & np.isfinite(y)
        n_bad_xy += int((~ok).sum())
        if ok.any():
            ext = [min(ext[0], float(x[ok].min())), max(ext[1], float(x[ok].max())),
                   min(ext[2], float(y[ok].min())), max(ext[3], float(y[ok].max()))]
        inside = ok & in_bbox(x, y, bbox)
        n_out += int((ok & ~inside).sum())
        if not inside.any():
            continue
        import pandas as pd

        block = df[date_pos]
        if not all(pd.api.types.is_numeric_dtype(t) for t in block.dtypes):
            for c in date_pos:  # text that is not a number: an error naming the column and row
                err = non_numeric_error(path, block[c].iloc[np.flatnonzero(inside)])
                if err is not None:
                    raise err
            block = block.apply(pd.to_numeric, errors="coerce")  # empty / "NaN" cells -> NaN (counted later)
        d = block.to_numpy(dtype=np.float32)[inside]
        if scale != 1.0:
            d *= np.float32(scale)
        parts["ids"].append(np.asarray(got["ids"]).astype(str)[inside])
        parts["x"].append(x[inside])
        parts["y"].append(y[inside])
        parts["disp"].append(d)
        if got.get("los") is not None:
            parts["los"].append(got["los"][inside])
        if got.get("sigma") is not None:
            parts["sigma"].append(got["sigma"][inside])
    nt = len(date_pos)
    out = {
        **concat_parts(parts, nt),
        "skipped": {"no valid coordinates": n_bad_xy, "outside model domain": n_out},
        "n_read": n_read,
        "chunks": nchunks,
        "bbox": bbox,
        "extent": tuple(ext) if np.isfinite(ext).all() else None,
    }
    return out


def finalize(
    path: Path,
    got: dict,
    dates: list[_dt.date],
    *,
    fmt: str,
    component: str,
    crs: str | None,
    min_epochs: int = 3,
    name: str | None = None,
    provenance: dict | None = None,
) -> InsarDataset:
    """Apply the common bad-data rules and build the dataset."""
    dates64 = np.array([np.datetime64(d, "D") for d in dates])
    disp = got["disp"]
    sigma = got.get("sigma")
    notes = []
    skipped = {k: v for k, v in got.get("skipped", {}).items()}

    def count(reason, k):
        if k:
            skipped[reason] = skipped.get(reason, 0) + int(k)

    # epochs: order and duplicates
    order = np.argsort(dates64, kind="stable")
    if np.any(order != np.arange(len(order))):
        notes.append("epoch columns were not in date order; sorted")
        dates64, disp = dates64[order], disp[:, order]
        if sigma is not None and sigma.ndim == 2:
            sigma = sigma[:, order]
    dup_t = np.zeros(len(dates64), bool)
    dup_t[1:] = dates64[1:] == dates64[:-1]
    count("duplicate date (epochs)", dup_t.sum())
    empty_t = np.ones(len(dates64), bool)
    for r0 in range(0, disp.shape[0], 100_000):
        empty_t &= np.all(np.isnan(disp[r0:r0 + 100_000]), axis=0)
    if not disp.shape[0]:
        empty_t[:] = False
    count("epoch without data (epochs)", (empty_t & ~dup_t).sum())
    keep_t = ~dup_t & ~empty_t
    if not keep_t.all():
        dates64, disp = dates64[keep_t], disp[:, keep_t]
        if sigma is not None and sigma.ndim == 2:
            sigma = sigma[:, keep_t]

    keep = np.ones(disp.shape[0], bool)
    ids = got["ids"]
    # duplicate ids
    _, first = np.unique(ids, return_index=True)
    is_first = np.zeros(len(ids), bool)
    is_first[first] = True
    count("duplicate id", (~is_first).sum())
    keep &= is_first
    # duplicate points: same position (mm) and identical series (series compared only where
    # positions coincide, so no copy of the whole array is made)
    if disp.shape[0]:
        import pandas as pd

        pos = pd.DataFrame({"x": np.round(got["x"], 3), "y": np.round(got["y"], 3)})
        cand = np.flatnonzero(pos.duplicated(keep=False).to_numpy())
        dup_p = np.zeros(len(keep), bool)
        if len(cand):
            groups = pos.iloc[cand].groupby(["x", "y"]).indices
            for members in groups.values():
                rows = cand[members]
                for j, r in enumerate(rows[1:], 1):
                    dup_p[r] = any(np.array_equal(disp[r], disp[q], equal_nan=True) for q in rows[:j])
        dup_p &= keep
        count("duplicate point (same position and time series as an earlier one)", dup_p.sum())
        keep &= ~dup_p
    nvalid = np.zeros(disp.shape[0], np.int64)
    for r0 in range(0, disp.shape[0], 100_000):  # row blocks: no full-size temporary
        nvalid[r0:r0 + 100_000] = np.isfinite(disp[r0:r0 + 100_000]).sum(axis=1)
    few = keep & (nvalid < min(min_epochs, max(len(dates64), 1)))
    count(f"too few valid epochs (< {min_epochs})", few.sum())
    keep &= ~few
    if got.get("los") is not None:
        badlos = keep & ~np.all(np.isfinite(got["los"]), axis=1)
        count("no valid line-of-sight geometry", badlos.sum())
        keep &= ~badlos
    if not keep.any():
        raise CaseError(str(path), "", _nothing_left(path, got, {k: v for k, v in skipped.items() if v}, crs))
    los = got["los"][keep] if got.get("los") is not None else None
    if sigma is not None:
        sigma = sigma[keep]
    if not keep.all():
        disp = disp[keep]
    ds = InsarDataset(
        ids=ids[keep], x=got["x"][keep], y=got["y"][keep], dates=dates64, disp=disp,
        component=component, los=los, sigma=sigma, crs=crs, name=name or Path(path).stem,
        skipped={k: v for k, v in skipped.items() if v},
    )
    ds.provenance = {
        "file": str(Path(path).resolve()),
        "sha256": file_sha256(path),
        "format": fmt,
        "points_in_file": int(got.get("n_read", disp.shape[0])),
        "points_kept": ds.n,
        "notes": notes,
        **(provenance or {}),
    }
    if ds.n == 0:
        raise CaseError(str(path), "", f"no usable points left after reading ({_reasons(ds.skipped)})")
    for reason, k in ds.skipped.items():
        # a duplicate id or date whose data may differ: one of two entries was chosen, said louder
        level = logging.WARNING if reason in ("duplicate id", "duplicate date (epochs)") else logging.INFO
        log.log(level, "%s: skipped %d: %s (the first kept)" if level == logging.WARNING else "%s: skipped %d: %s",
                Path(path).name, k, reason)
    return ds


def _nothing_left(path: Path, got: dict, skipped: dict, crs: str | None) -> str:
    """Why no point is left: above all, when none lies inside the model domain (a wrong CRS)."""
    n_out = skipped.get("outside model domain", 0)
    if n_out and len(got["ids"]) == 0:  # nothing was read inside the domain
        where = ""
        ext, bbox = got.get("extent"), got.get("bbox")
        if ext is not None:
            where += f"; its points lie at x {ext[0]:.0f} .. {ext[1]:.0f}, y {ext[2]:.0f} .. {ext[3]:.0f} m"
        if bbox is not None:
            where += f", the model covers x {bbox[0]:.0f} .. {bbox[2]:.0f}, y {bbox[1]:.0f} .. {bbox[3]:.0f} m"
        return (f"no InSAR point of {Path(path).name} lies inside the model domain ({n_out} point(s) outside"
                f"{where}{f' (in {crs})' if crs else ''}); check --insar-crs / [validation] insar_crs (the CRS of "
                "the file's coordinates), the run's crs, and that the file covers the modelled area")
    n_xy = skipped.get("no valid coordinates", 0)
    if n_xy and len(got["ids"]) == 0 and n_xy >= int(got.get("n_read", 0)):
        return (f"none of the {n_xy} points of {Path(path).name} has valid coordinates in the model CRS"
                f"{f' ({crs})' if crs else ''}: the coordinates are empty or cannot be transformed; check "
                "--insar-crs / [validation] insar_crs (the CRS of the file's coordinates)")
    return f"no usable points left after reading ({_reasons(skipped)})"


def _reasons(sk: dict) -> str:
    return "; ".join(f"{k}: {v}" for k, v in sk.items()) or "file holds no points"


def concat_parts(parts: dict[str, list], nt: int) -> dict:
    """Join the per-chunk arrays of a reader (ids, x, y, disp and, if collected, los, sigma)."""
    out = {
        "ids": np.concatenate(parts["ids"]) if parts["ids"] else np.zeros(0, str),
        "x": np.concatenate(parts["x"]) if parts["x"] else np.zeros(0),
        "y": np.concatenate(parts["y"]) if parts["y"] else np.zeros(0),
        "disp": np.concatenate(parts["disp"]) if parts["disp"] else np.zeros((0, nt), np.float32),
    }
    for k in ("los", "sigma"):
        if k in parts:
            out[k] = np.concatenate(parts[k]) if parts[k] else None
    return out
