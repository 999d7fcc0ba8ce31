"""Regenerate the small reader fixtures in this folder (run from the repository root):

    .venv/bin/python tests/insar/data/make_fixtures.py

- ``tudelft_t88_sample.csv``: the first 6 parcels and first 12 epochs of the real
  Nieuwolda product (``validation/data/nieuwolda/``, MIT), unchanged otherwise (rows 1 and 3
  are the same parcel under two ids, as in the full file);
- ``tudelft_latlon_sample.csv``: the same kind of file with ``pnt_id`` and ``pnt_lat/pnt_lon``
  but no WKT, with epochs out of order, a NaN value, a duplicate id and an all-NaN point;
- ``EGMS_L2b_*_sample.csv`` / ``EGMS_L3_*_U_*_sample.csv``: EGMS layout (EPSG:3035, mm), points at
  the RD positions in ``RD_POINTS`` with displacement ``VEL_MM[i] * years since the first date``;
- ``mintpy_timeseries.h5`` / ``mintpy_geometryGeo.h5``: a geocoded 5 × 4 WGS84 grid, 6 epochs,
  one NaN pixel, REF_Y/REF_X, HEADING, incidence 39°, LOS azimuth 102° (ascending);
- ``generic_sample.csv``: id, lon, lat, dates, mm.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
RD_POINTS = [(240000.0, 580000.0), (241000.0, 580500.0), (245000.0, 585000.0), (250500.0, 590250.0)]
VEL_MM = [-5.0, -3.0, 2.0, 0.0]
EGMS_DATES = [dt.date(2018, 1, 10) + dt.timedelta(days=6 * k) for k in range(10)]
LOS_ASC = (-0.6162, -0.1310, 0.7765)  # Sentinel-1 39°, heading -12°: ground → satellite


def tudelft():
    import pandas as pd

    src = ROOT / "validation/data/nieuwolda/insar_t88_parcels_2015_2018.csv"
    lines = src.read_text().splitlines()
    head = lines[0].split(",")
    dcols = [i for i, c in enumerate(head) if c.startswith("d_")]
    keep = list(range(dcols[0])) + dcols[:12]
    out = []
    for ln in lines[:7]:
        row = ln.split(",")  # no field of this file contains a comma
        out.append(",".join(row[i] for i in keep))
    (HERE / "tudelft_t88_sample.csv").write_text("\n".join(out) + "\n")
    ll = pd.DataFrame({"pnt_id": ["a", "b", "c", "b", "e"],
                       "pnt_lat": [53.10, 53.12, 53.14, 53.16, 53.18], "pnt_lon": [6.70, 6.72, 6.74, 6.76, 6.78],
                       "pnt_incidangle": [40.0, 40.5, 41.0, 41.5, 42.0]})
    vals = np.round(np.outer([-1.0, -2.0, -3.0, -4.0, -5.0], np.arange(6)) * 1e-3, 6)
    cols = ["d_20160110", "d_20160103", "d_20160117", "d_20160124", "d_20160131", "d_20160207"]  # 2nd before 1st
    order = [1, 0, 2, 3, 4, 5]
    for j, c in enumerate(cols):
        ll[c] = vals[:, order[j]]
    ll.loc[0, "d_20160124"] = np.nan
    ll.loc[4, cols] = np.nan
    ll.to_csv(HERE / "tudelft_latlon_sample.csv", index=False)


def egms():
    import pyproj

    tr = pyproj.Transformer.from_crs("EPSG:28992", "EPSG:3035", always_xy=True)
    e, n = tr.transform(*np.array(RD_POINTS).T)
    t = np.array([(d - EGMS_DATES[0]).days / 365.25 for d in EGMS_DATES])
    dates = [d.strftime("%Y%m%d") for d in EGMS_DATES]
    head2 = ("pid,mp_type,latitude,longitude,easting,northing,height,height_wgs84,line,pixel,rmse,temporal_coherence,"
             "amplitude_dispersion,incidence_angle,track_angle,los_east,los_north,los_up,mean_velocity,mean_velocity_std,"
             "acceleration,acceleration_std,seasonality,seasonality_std," + ",".join(dates))
    rows = []
    for i in range(len(RD_POINTS)):
        disp = VEL_MM[i] * t
        rows.append(f"3xK{i}aB,{'PS' if i % 2 == 0 else 'DS'},53.2,6.7,{e[i]:.2f},{n[i]:.2f},4.1,45.2,1200,3400,1.8,0.83,0.21,"
                    f"39.0,-12.0,{LOS_ASC[0]},{LOS_ASC[1]},{LOS_ASC[2]},{VEL_MM[i]},0.3,0.0,0.1,1.0,0.2,"
                    + ",".join(f"{v:.2f}" for v in disp))
    (HERE / "EGMS_L2b_088_0296_IW2_VV_2018_2022_1_sample.csv").write_text(head2 + "\n" + "\n".join(rows) + "\n")
    head3 = "pid,easting,northing,height,rmse,mean_velocity,mean_velocity_std,acceleration,acceleration_std,seasonality,seasonality_std," + ",".join(dates)
    rows = [f"L3U{i},{e[i]:.2f},{n[i]:.2f},3.0,1.5,{VEL_MM[i]},0.2,0.0,0.1,0.5,0.1," + ",".join(f"{v:.2f}" for v in VEL_MM[i] * t)
            for i in range(len(RD_POINTS))]
    (HERE / "EGMS_L3_E40N32_100km_U_2018_2022_1_sample.csv").write_text(head3 + "\n" + "\n".join(rows) + "\n")


def mintpy():
    import h5py

    ny, nx = 5, 4
    dates = [b"20170101", b"20170113", b"20170125", b"20170206", b"20170218", b"20170302"]
    t = np.arange(6) * 12 / 365.25
    ts = np.zeros((6, ny, nx), np.float32)
    for r in range(ny):
        for c in range(nx):
            ts[:, r, c] = -0.001 * (r + c) * t / t[-1]
    ts[:, 4, 3] = np.nan  # no data
    with h5py.File(HERE / "mintpy_timeseries.h5", "w") as f:
        f["timeseries"] = ts
        f["date"] = np.array(dates)
        f["bperp"] = np.zeros(6, np.float32)
        for k, v in {"FILE_TYPE": "timeseries", "X_FIRST": "6.70", "Y_FIRST": "53.20", "X_STEP": "0.01", "Y_STEP": "-0.005",
                     "X_UNIT": "degrees", "Y_UNIT": "degrees", "LENGTH": str(ny), "WIDTH": str(nx), "REF_Y": "0", "REF_X": "0",
                     "REF_DATE": "20170101", "HEADING": "-12.0", "ORBIT_DIRECTION": "ASCENDING", "UNIT": "m"}.items():
            f.attrs[k] = v
    with h5py.File(HERE / "mintpy_geometryGeo.h5", "w") as f:
        f["incidenceAngle"] = np.full((ny, nx), 39.0, np.float32)
        f["azimuthAngle"] = np.full((ny, nx), 102.0, np.float32)
        f.attrs["FILE_TYPE"] = "geometry"


def generic():
    lines = ["id,lon,lat,2019-01-01,2019-02-01,2019-03-01",
             "g1,6.75,53.15,0.0,-1.0,-2.0",
             "g2,6.76,53.16,0.0,-2.0,-4.0",
             "g3,6.77,53.17,0.0,,-6.0"]
    (HERE / "generic_sample.csv").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    tudelft()
    egms()
    mintpy()
    generic()
