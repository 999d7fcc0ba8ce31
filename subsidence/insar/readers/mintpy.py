"""MintPy HDF5 time series (``timeseries.h5``) and its geometry file.

- ``timeseries`` (epochs, rows, cols) in **metres**, LOS positive towards the satellite,
  ``date`` (epochs,) as ``b"YYYYMMDD"``;
- geocoded files: ``X_FIRST``/``Y_FIRST`` (upper-left corner of the first pixel),
  ``X_STEP``/``Y_STEP``; CRS from ``EPSG`` (or ``UTM_ZONE``), else degrees (WGS84).
  Pixel centres are used. Radar-coded files need ``latitude``/``longitude`` in the
  geometry file;
- reference: ``REF_Y``/``REF_X`` (pixel), ``REF_DATE`` — recorded so that the model can be
  referenced at the same point and epoch;
- geometry (``geometryGeo.h5``/``geometryRadar.h5``): ``incidenceAngle`` and
  ``azimuthAngle`` (LOS azimuth, ground→satellite, from north anticlockwise) [deg]; without
  it the ``HEADING`` attribute and the ``incidence`` option (or ``CENTER_INCIDENCE_ANGLE``).
- pixels that are NaN (or exactly 0, MintPy's no-data value; the reference pixel excepted) at
  every epoch and pixels with ``mask == 0`` are skipped.

Rows are read in blocks, so a large grid never has to be in memory as one array.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np

from subsidence.config.errors import CaseError
from subsidence.insar.geometry import los_from_azimuth, los_from_heading
from subsidence.insar.readers import common as C


def _attr(a, k, default=None):
    v = a.get(k, default)
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, np.ndarray) and v.size == 1:
        v = v.item()
    return v


def _src_crs(a) -> str:
    if _attr(a, "EPSG") not in (None, "", "None"):
        return f"EPSG:{int(float(_attr(a, 'EPSG')))}"
    if _attr(a, "UTM_ZONE"):
        z = str(_attr(a, "UTM_ZONE"))
        return f"+proj=utm +zone={int(z[:-1])} {'+south ' if z[-1].upper() < 'N' else ''}+datum=WGS84"
    return "EPSG:4326"


def read_mintpy(
    path: Path,
    *,
    crs: str | None,
    geometry: Path | None = None,
    mask: Path | None = None,
    incidence: float | None = None,
    look: str = "right",
    bbox=None,
    block_rows: int = 256,
    stride: int = 1,
    min_epochs: int = 3,
):
    import h5py

    path = Path(path)
    with h5py.File(path, "r") as f:
        if "timeseries" not in f or "date" not in f:
            raise CaseError(str(path), "timeseries", "not a MintPy time-series file (needs 'timeseries' and 'date')")
        a = dict(f.attrs)
        ts = f["timeseries"]
        nt, ny, nx = ts.shape
        dates = [_dt.datetime.strptime(d.decode() if isinstance(d, bytes) else str(d), "%Y%m%d").date() for d in f["date"][:]]
        geo = _attr(a, "X_FIRST") is not None
        src = _src_crs(a) if geo else "EPSG:4326"
        tr = C.transformer(src, crs, path=path, key="EPSG")
        gf = h5py.File(geometry, "r") if geometry else None
        mf = h5py.File(mask, "r") if mask else None
        try:
            if gf is None and not geo:
                raise CaseError(str(path), "X_FIRST", "radar-coded MintPy file: give the geometry file with latitude/longitude")
            has_angles = gf is not None and "incidenceAngle" in gf
            heading = _attr(a, "HEADING")
            if not has_angles:
                incidence = incidence if incidence is not None else _attr(a, "CENTER_INCIDENCE_ANGLE")
                if incidence is None or heading is None:
                    raise CaseError(str(path), "incidenceAngle", "no LOS geometry: give the geometry file (incidenceAngle, azimuthAngle) or HEADING + incidence")
            ref_rc = (int(float(_attr(a, "REF_Y"))), int(float(_attr(a, "REF_X")))) if _attr(a, "REF_Y") is not None else None
            parts = {"ids": [], "x": [], "y": [], "disp": [], "los": []}
            n_nodata = n_masked = n_bad = n_out = n_read = 0
            cols = np.arange(0, nx, stride)
            for r0 in range(0, ny, block_rows * stride):
                rows = np.arange(r0, min(r0 + block_rows * stride, ny), stride)
                if not len(rows):
                    continue
                block = ts[:, rows[0]:rows[-1] + 1:stride, ::stride].astype(np.float32)  # (nt, nr, nc)
                rr, cc = np.meshgrid(rows, cols, indexing="ij")
                n_read += rr.size
                if geo:
                    lon = float(_attr(a, "X_FIRST")) + (cc + 0.5) * float(_attr(a, "X_STEP"))
                    lat = float(_attr(a, "Y_FIRST")) + (rr + 0.5) * float(_attr(a, "Y_STEP"))
                else:
                    lat = gf["latitude"][rows[0]:rows[-1] + 1:stride, ::stride]
                    lon = gf["longitude"][rows[0]:rows[-1] + 1:stride, ::stride]
                x, y = C.apply_transform(tr, np.ravel(lon), np.ravel(lat))
                d = block.reshape(nt, -1).T
                nodata = np.all(~np.isfinite(d) | (d == 0), axis=1)
                if ref_rc is not None:  # the reference pixel is zero at every epoch by construction
                    nodata &= ~((np.ravel(rr) == ref_rc[0]) & (np.ravel(cc) == ref_rc[1]) & np.all(np.isfinite(d), axis=1))
                ok = ~nodata
                n_nodata += int(nodata.sum())
                if mf is not None:
                    m = np.ravel(mf["mask"][rows[0]:rows[-1] + 1:stride, ::stride]).astype(bool)
                    n_masked += int((ok & ~m).sum())
                    ok &= m
                fin = np.isfinite(x) & np.isfinite(y)
                n_bad += int((ok & ~fin).sum())
                ok &= fin
                inside = ok & C.in_bbox(x, y, bbox)
                n_out += int((ok & ~inside).sum())
                if not inside.any():
                    continue
                if has_angles:
                    inc = np.ravel(gf["incidenceAngle"][rows[0]:rows[-1] + 1:stride, ::stride])
                    az = np.ravel(gf["azimuthAngle"][rows[0]:rows[-1] + 1:stride, ::stride]) if "azimuthAngle" in gf else None
                    los = los_from_azimuth(inc, az) if az is not None else los_from_heading(inc, float(heading), look=look)
                else:
                    los = los_from_heading(np.full(rr.size, float(incidence)), float(heading), look=look)
                parts["ids"].append(np.char.add(np.char.add("r", np.ravel(rr).astype(str)), np.char.add("c", np.ravel(cc).astype(str)))[inside])
                parts["x"].append(x[inside])
                parts["y"].append(y[inside])
                parts["disp"].append(d[inside])
                parts["los"].append(los[inside])
            ref = {}
            if _attr(a, "REF_Y") is not None and geo:
                ry, rx = int(float(_attr(a, "REF_Y"))), int(float(_attr(a, "REF_X")))
                lon = float(_attr(a, "X_FIRST")) + (rx + 0.5) * float(_attr(a, "X_STEP"))
                lat = float(_attr(a, "Y_FIRST")) + (ry + 0.5) * float(_attr(a, "Y_STEP"))
                (x0,), (y0,) = C.apply_transform(tr, [lon], [lat])
                ref = {"reference_point": [float(x0), float(y0)], "reference_pixel": [ry, rx]}
            if _attr(a, "REF_DATE"):
                ref["reference_date"] = str(_dt.datetime.strptime(str(_attr(a, "REF_DATE")), "%Y%m%d").date())
        finally:
            if gf is not None:
                gf.close()
            if mf is not None:
                mf.close()
    got = {
        **C.concat_parts(parts, nt),
        "skipped": {"no data (NaN or 0 at every epoch)": n_nodata, "masked": n_masked,
                    "no valid coordinates": n_bad, "outside model domain": n_out},
        "n_read": n_read,
    }
    return C.finalize(path, got, dates, fmt="mintpy", component="los", crs=crs, min_epochs=min_epochs,
                      provenance={"source_crs": src, "unit": "m", "geometry_file": str(geometry) if geometry else None,
                                  "heading_deg": heading, "stride": stride, **ref})
