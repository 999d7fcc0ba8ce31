"""Stability indicators at the cavern wall and in pillars (compression-positive MPa here).

The FE stress is tension-positive and measured from the lithostatic state; the total
stress is σ = Δσ − p_lith 1. Below, σ_c = −σ (compression positive), I1 = tr σ_c,
J2 = ½ s:s, J3 = det s, Lode angle ψ with sin 3ψ = −(3√3/2) J3 / J2^{3/2}
(ψ = −30° in triaxial compression, +30° in extension).

- Van Sambeek/Ratigan dilatancy: √J2 = 0.27 I1 → safety factor 0.27 I1/√J2.
- De Vries-type: √J2_dil = [D1 (I1/σ₀)^m + T0] / (√3 cos ψ − D2 sin ψ) → √J2_dil/√J2.
- Effective tension (leak/fracture): the least compressive stress *tangential* to the
  wall (the normal one equals the brine pressure there) minus P_brine(z); negative means
  the brine pressure exceeds it (tensile effective stress at the wall).

Values are taken at the integration points of the cells touching the wall (not on the
wall itself), which is the usual FE approximation. The dilatancy factors only consider
creeping (rock-salt) zones; the tension margin every wall zone.
"""

from __future__ import annotations

import dataclasses

from mpi4py import MPI

import numpy as np

from subsidence.cavern.geometry import WALL0
from subsidence.cavern.material import mandel_to_tensor


@dataclasses.dataclass(frozen=True)
class DeVries:
    D1: float = 0.773  # MPa
    D2: float = 0.524
    m: float = 0.693
    T0: float = 1.953  # MPa
    sigma0: float = 1.0  # MPa


def invariants(sc: np.ndarray):
    """I1, √J2, Lode angle ψ, principal stresses (ascending) of (N,3,3) compression-positive tensors [MPa]."""
    I1 = np.trace(sc, axis1=1, axis2=2)
    s = sc - I1[:, None, None] / 3 * np.eye(3)[None]
    J2 = 0.5 * np.einsum("nij,nij->n", s, s)
    J3 = np.linalg.det(s)
    sq = np.sqrt(np.maximum(J2, 1e-30))
    arg = np.clip(-1.5 * np.sqrt(3.0) * J3 / sq**3, -1, 1)
    psi = np.arcsin(arg) / 3.0
    eig = np.linalg.eigvalsh(sc)
    return I1, np.sqrt(np.maximum(J2, 0.0)), psi, eig


def dilatancy_factors(I1, sqJ2, psi, dv: DeVries = DeVries()):
    sq = np.maximum(sqJ2, 1e-12)
    fs_vs = 0.27 * I1 / sq
    strength = (dv.D1 * np.maximum(I1 / dv.sigma0, 0.0) ** dv.m + dv.T0) / (np.sqrt(3.0) * np.cos(psi) - dv.D2 * np.sin(psi))
    return fs_vs, strength / sq


def _facet_normals(mesh, facets: np.ndarray) -> np.ndarray:
    """Unit normals (3-vectors, sign arbitrary) of boundary facets; 2D meshes → (n_x, n_y, 0)."""
    from dolfinx.mesh import entities_to_geometry

    tdim = mesh.topology.dim
    if facets.size == 0:
        return np.zeros((0, 3))
    nodes = entities_to_geometry(mesh, tdim - 1, facets.astype(np.int32))
    x = mesh.geometry.x
    if tdim == 2:
        t = x[nodes[:, 1]] - x[nodes[:, 0]]
        n = np.column_stack([-t[:, 1], t[:, 0], np.zeros(len(t))])
    else:
        n = np.cross(x[nodes[:, 1]] - x[nodes[:, 0]], x[nodes[:, 2]] - x[nodes[:, 0]])
    return n / np.linalg.norm(n, axis=1)[:, None]


def min_tangential(sc: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Smallest normal stress on planes containing the wall normal n, i.e. the least
    principal value of the stress restricted to the wall's tangent plane."""
    P = np.eye(3)[None] - np.einsum("ni,nj->nij", n, n)
    st = np.einsum("nij,njk,nkl->nil", P, sc, P)
    big = 1e6 * (1.0 + np.abs(sc).max(initial=0.0))
    st = st + big * np.einsum("ni,nj->nij", n, n)
    return np.linalg.eigvalsh(st)[:, 0]


def _global_min(comm, val: np.ndarray, X: np.ndarray):
    """Minimum over all ranks and the coordinates where it occurs."""
    if val.size:
        k = int(np.argmin(val))
        loc = (float(val[k]), tuple(float(c) for c in X[k]))
    else:
        loc = (np.inf, (np.nan,) * X.shape[1])
    allv = comm.allgather(loc)
    return min(allv, key=lambda e: e[0])


class WallIndicators:
    """Collects wall and pillar integration points of a :class:`CreepModel` once."""

    def __init__(self, model, *, roof_fraction: float = 0.15, pillars: list[tuple[int, int, dict, dict]] | None = None):
        self.model = model
        cm = model.cm
        mesh = cm.mesh
        tdim = mesh.topology.dim
        mesh.topology.create_connectivity(tdim - 1, tdim)
        f2c = mesh.topology.connectivity(tdim - 1, tdim)
        nown = mesh.topology.index_map(tdim).size_local
        nq = model.nq
        self.zc = cm.gdim - 1
        self.points = []
        self.normals = []
        self.roof = []
        for i in range(cm.n_caverns):
            facets = cm.facet_tags.find(WALL0 + i)
            cells = np.array([f2c.links(f)[0] for f in facets], dtype=np.int64)
            normals = _facet_normals(mesh, facets)
            keep = cells < nown
            cells, normals = cells[keep], normals[keep]
            cells, first = np.unique(cells, return_index=True)
            normals = normals[first]
            idx = (cells[:, None] * nq + np.arange(nq)[None]).reshape(-1)
            self.points.append(idx)
            self.normals.append(np.repeat(normals, nq, axis=0))
            z = model.X[idx, self.zc]
            ztop = model.comm.allreduce(z.max() if z.size else -np.inf, op=MPI.MAX)
            zbot = model.comm.allreduce(z.min() if z.size else np.inf, op=MPI.MIN)
            self.roof.append(idx[z >= ztop - roof_fraction * (ztop - zbot)])  # sorted like idx
        self.pillars = []
        for i, j, ci, cj in pillars or []:
            X = model.X[: nown * nq]
            p0, p1 = np.array([ci["x"], ci["y"]]), np.array([cj["x"], cj["y"]])
            d = np.linalg.norm(p1 - p0)
            e = (p1 - p0) / d
            mid = 0.5 * (p0 + p1)
            rel = X[:, :2] - mid
            along = rel @ e
            across = np.abs(rel @ np.array([-e[1], e[0]]))
            width = d - ci["radius"] - cj["radius"]
            zt = -max(ci["top_depth"], cj["top_depth"]) - max(ci["dome_height"], cj["dome_height"])
            zb = -min(ci["bottom_depth"], cj["bottom_depth"]) + max(ci["dome_height"], cj["dome_height"])
            sel = (np.abs(along) <= max(0.15 * width, 2.0)) & (across <= 0.5 * min(ci["radius"], cj["radius"])) & (X[:, 2] <= zt) & (X[:, 2] >= zb)
            self.pillars.append((f"{i}-{j}", np.flatnonzero(sel), width))

    def total_stress_c(self, idx: np.ndarray) -> np.ndarray:
        m = self.model
        sig = mandel_to_tensor(m.stress[idx], "3d" if m.kind == "3d" else "2d")
        sig -= m.p_lith_q[idx, None, None] * np.eye(3)[None]
        return -sig / 1e6

    def evaluate(self, pressures: np.ndarray, dv: DeVries = DeVries()) -> list[dict]:
        m = self.model
        comm = m.comm
        out = []
        for i, idx in enumerate(self.points):
            sc = self.total_stress_c(idx)
            I1, sqJ2, psi, eig = invariants(sc)
            fs_vs, fs_dv = dilatancy_factors(I1, sqJ2, psi, dv)
            X = m.X[idx]
            z = X[:, self.zc]
            Pz = (pressures[i] + m.brine_gradient[i] * (m.shoe_z[i] - z)) / 1e6
            margin = min_tangential(sc, self.normals[i]) - Pz
            rec = {}
            salt = m.mat.Astar[idx] > 0  # dilatancy criteria are for rock salt only
            for name, val, sel in (("fs_vansambeek", fs_vs, salt), ("fs_devries", fs_dv, salt), ("tension_margin_MPa", margin, None)):
                v, loc = _global_min(comm, val if sel is None else val[sel], X if sel is None else X[sel])
                rec[name] = v
                rec[name + "_depth"] = -loc[self.zc]
                rec[name + "_r"] = loc[0] if m.kind != "3d" else float(np.hypot(*loc[:2]))
            roof = self.roof[i]
            rsc = self.total_stress_c(roof)
            if roof.size:
                pos = np.searchsorted(idx, roof)  # roof ⊂ idx, both sorted by construction
                re = min_tangential(rsc, self.normals[i][pos])
                rz = m.X[roof, self.zc]
                rP = (pressures[i] + m.brine_gradient[i] * (m.shoe_z[i] - rz)) / 1e6
                rmin = float(np.min(re - rP))
            else:
                rmin = np.inf
            rec["roof_tension_margin_MPa"] = comm.allreduce(rmin, op=MPI.MIN)
            out.append(rec)
        return out

    def pillar_stress(self) -> dict:
        m = self.model
        res = {}
        for name, idx, width in self.pillars:
            sc = self.total_stress_c(idx)
            s = np.array([sc[:, 2, 2].sum() if idx.size else 0.0, m.p_lith_q[idx].sum() / 1e6, float(idx.size)])
            s = m.comm.allreduce(s, op=MPI.SUM)
            if s[2] > 0:
                res[name] = {"vertical_MPa": s[0] / s[2], "initial_MPa": s[1] / s[2], "width_m": width}
        return res
