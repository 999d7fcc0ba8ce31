"""Ascending + descending LOS → vertical and east–west.

Both datasets are averaged in square cells of ``cell`` metres (aligned to multiples of ``cell``), the second
series is interpolated linearly in time to the epochs of the first (within their common
span) and both are re-referenced to the first common epoch. In each cell with data from
both geometries the 2×2 system

    [e_a,east  e_a,up] [u_east]   [d_a]
    [e_b,east  e_b,up] [u_up  ] = [d_b]

is solved. The north component is neglected (its LOS sensitivity is small for a near-polar
orbit, |e_north| ≈ 0.13 for Sentinel-1): a north motion u_n leaks into the result as
−M⁻¹ [e_a,north; e_b,north] u_n.
"""

from __future__ import annotations

import numpy as np

from subsidence.config.errors import CaseError
from subsidence.insar.data import InsarDataset


def _bin(ds: InsarDataset, x0, y0, cell):
    ix = np.floor((ds.x - x0) / cell).astype(np.int64)
    iy = np.floor((ds.y - y0) / cell).astype(np.int64)
    key = ix * 10_000_000 + iy
    uk, inv = np.unique(key, return_inverse=True)
    nc = len(uk)
    cnt = np.zeros((nc, ds.nt))
    s = np.zeros((nc, ds.nt))
    fin = np.isfinite(ds.disp)
    np.add.at(cnt, inv, fin)
    np.add.at(s, inv, np.where(fin, ds.disp, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / cnt
    los = np.zeros((nc, 3))
    np.add.at(los, inv, ds.los)
    los /= np.linalg.norm(los, axis=1, keepdims=True)
    return uk, mean, los


def decompose(a: InsarDataset, b: InsarDataset, *, cell: float = 100.0, min_angle: float = 20.0) -> tuple[InsarDataset, InsarDataset]:
    """(vertical, east) datasets from two LOS datasets of different geometry."""
    if a.component != "los" or b.component != "los":
        raise CaseError("", "decompose", "decomposition needs two line-of-sight datasets")
    x0 = np.floor(min(a.x.min(), b.x.min()) / cell) * cell  # cells aligned to multiples of `cell`
    y0 = np.floor(min(a.y.min(), b.y.min()) / cell) * cell
    ka, da, la = _bin(a, x0, y0, cell)
    kb, db, lb = _bin(b, x0, y0, cell)
    common, ia, ib = np.intersect1d(ka, kb, return_indices=True)
    if not len(common):
        raise CaseError("", "decompose", f"the two datasets share no {cell:g} m cell")
    ta = a.dates.astype(float)
    tb = b.dates.astype(float)
    keep_t = (ta >= tb[0]) & (ta <= tb[-1])
    if keep_t.sum() < 2:
        raise CaseError("", "decompose", "the two datasets have fewer than two epochs in common span")
    t = ta[keep_t]
    A = da[ia][:, keep_t]
    B = np.stack([np.interp(t, tb, row) if np.isfinite(row).sum() > 1 else np.full(len(t), np.nan)
                  for row in (np.where(np.isfinite(r), r, np.nan) for r in db[ib])])
    A = A - A[:, :1]
    B = B - B[:, :1]
    ea, eb = la[ia], lb[ib]
    M = np.stack([np.stack([ea[:, 0], ea[:, 2]], -1), np.stack([eb[:, 0], eb[:, 2]], -1)], axis=1)  # (nc, 2, 2)
    det = np.linalg.det(M)
    # angle between the two LOS directions projected on the east-up plane
    cosang = np.abs(np.einsum("ij,ij->i", ea[:, [0, 2]], eb[:, [0, 2]]) /
                    (np.linalg.norm(ea[:, [0, 2]], axis=1) * np.linalg.norm(eb[:, [0, 2]], axis=1)))
    good = np.degrees(np.arccos(np.clip(cosang, -1, 1))) >= min_angle
    Minv = np.linalg.inv(np.where(good[:, None, None], M, np.eye(2)[None]))
    rhs = np.stack([A, B], axis=1)  # (nc, 2, nt)
    sol = np.einsum("cij,cjt->cit", Minv, rhs)
    east, up = sol[:, 0], sol[:, 1]
    ix, iy = common // 10_000_000, common % 10_000_000
    cx, cy = x0 + (ix + 0.5) * cell, y0 + (iy + 0.5) * cell
    ids = np.array([f"cell_{i}_{j}" for i, j in zip(ix, iy)])
    dates = a.dates[keep_t]
    prov = {"format": "asc+desc decomposition", "cell_m": cell, "from": [a.name, b.name],
            "north_neglected": True, "cells": int(len(common)), "det_min": float(np.abs(det).min())}
    out = []
    for comp, vals in (("up", up), ("east", east)):
        ds = InsarDataset(ids=ids[good], x=cx[good], y=cy[good], dates=dates, disp=vals[good], component=comp,
                          crs=a.crs, name=f"{comp} from {a.name} + {b.name}", provenance=dict(prov))
        ds.skip("cells with LOS directions too close to separate", int((~good).sum()))
        ds.skip("cells with only one geometry", len(ka) + len(kb) - 2 * len(common))
        out.append(ds)
    return out[0], out[1]
