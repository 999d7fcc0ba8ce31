"""Stability indicators at the cavern wall and in pillars (compression-positive MPa here).

The FE stress is tension-positive and measured from the lithostatic state; the total
stress is σ = Δσ − p_lith 1. Below, σ_c = −σ (compression positive), I1 = tr σ_c,
J2 = ½ s:s, J3 = det s, Lode angle ψ with sin 3ψ = −(3√3/2) J3 / J2^{3/2}
(ψ = −30° in triaxial compression, +30° in extension).

- Van Sambeek/Ratigan dilatancy: √J2 = 0.27 I1 → safety factor 0.27 I1/√J2.
- De Vries-type: √J2_dil = [D1 (I1/σ₀)^m + T0] / (√3 cos ψ_D − D2 sin ψ_D) → √J2_dil/√J2, with
  De Vries' Lode angle ψ_D = −ψ (+30° in triaxial compression, −30° in extension): D2 > 0 lowers
  the boundary in extension, the stress state of a cavern wall below lithostatic pressure, where
  salt dilates at a lower √J2 than in the compression tests (the reason the Lode term was added).
  Until 2026-11-28 ψ itself was used, which gave the opposite: a boundary (1.5 + D2/2)/(1.5 − D2/2)
  = 1.42 times higher in extension than in compression for D2 = 0.524.
- The case's own boundaries (:class:`DilatancyBoundary`, ``fs_<name>``): a polynomial, a power
  law or a saturating (hyperbolic) curve in the octahedral stresses, in (I1, √J2) or in
  (σ3, σ1 − σ3), with the coefficients of the user's source.
- Effective tension (leak/fracture): the least compressive stress *tangential* to the
  wall (the normal one equals the brine pressure there) minus P_brine(z); negative means
  the brine pressure exceeds it (tensile effective stress at the wall).

**Where they are evaluated** (``fs_vansambeek``, ``fs_devries``, ``tension_margin_MPa`` with
``_depth``/``_r``, and ``roof_fs_vansambeek``, ``roof_fs_devries``, ``roof_tension_margin_MPa``):
*on the wall*, from the stress of the wall elements extrapolated to the wall and averaged
along it over a fixed length ℓ (default ``WINDOW_FRACTION`` = 0.1 × the cavern's equivalent
radius (3V/4π)^(1/3); the ``window`` argument sets it in metres, 0 switches the averaging off).

1. Extrapolation: in each element touching the wall the stress at its integration points
   (3 on a triangle, 4 on a tetrahedron, degree-2 rule) is fitted by a linear field in the
   reference cell — exact for a P2 displacement on an affine cell — and evaluated at three
   points of the wall facet, each standing for a third of the facet.
2. Window: at each sample, the mean of the samples' stresses within ℓ/2 (2D: each weighted
   by the length of its third of the facet inside the window, exactly; 3D: by the area of its
   third inside the window, resolved by 16 points), same material zone, normals less than
   90° apart; each stress is first rotated by the rotation that takes its normal to the
   sample's (averaging Cartesian components along a curved wall would mix the normal and the
   tangential stress: σ_ρρ off by 0.15 % on a sphere at ℓ = 0.1 a).
   Axisymmetric: samples near the axis also enter mirrored (σ_rz → −σ_rz), so the window at
   the roof's apex is two-sided.
3. The criteria on the averaged stress (the tension margin with the sample's own normal and
   brine pressure); the minimum over the samples, and over the roof: the samples at or above
   the roof limit z_top − ``roof_fraction`` (z_top − z_bottom) plus window centres exactly
   where the wall crosses that limit (a minimum at the limit is then not taken at the nearest
   sample, an O(h) shift).

Why (measured by ``benchmarks/cavern_fos_convergence.py``, docs/caverns.md):

- the integration points next to the wall lie O(h) inside the rock, where the wall's stress
  concentration has partly decayed: their minimum carries an O(h) offset (first-order
  convergence, +7 % in the De Vries factor at the shipped 10 m wall elements);
- cavern profiles are polylines (16 points per quarter ellipse); every vertex is a
  re-entrant corner of the rock (186° for a 6° kink) with a weak stress singularity
  (∝ ρ^−0.067 by Williams' eigen-equation): once elements are smaller than the segments, the
  values at single points next to a vertex keep falling with refinement (roof minima by
  2-5 % per halving) and do not converge; extrapolated to the wall they fall faster. Averaged
  over a fixed length the singularity is integrable and the value converges.

The window average is a defined engineering quantity, not a point value: where the wall
stress changes over lengths comparable to ℓ (a vertex, a dome-cylinder junction) it depends on
ℓ (quote ℓ with the result: ``WallIndicators(...).wall[i].window``).

The values at the integration points next to the wall (the evaluation before issue 13) are
kept as ``ip_fs_vansambeek``, ``ip_fs_devries``, ``ip_tension_margin_MPa`` (each with
``_depth`` and ``_r``), ``ip_roof_tension_margin_MPa``, ``ip_roof_fs_vansambeek``,
``ip_roof_fs_devries``. The dilatancy factors only consider creeping (rock-salt) zones; the
tension margin every wall zone.
"""

from __future__ import annotations

import dataclasses

from mpi4py import MPI

import numpy as np

from subsidence.cavern.geometry import WALL0
from subsidence.cavern.material import mandel_to_tensor


#: default length of the wall window, as a fraction of the cavern's equivalent radius
WINDOW_FRACTION = 0.1


@dataclasses.dataclass(frozen=True)
class DeVries:
    D1: float = 0.773  # MPa
    D2: float = 0.524
    m: float = 0.693
    T0: float = 1.953  # MPa
    sigma0: float = 1.0  # MPa


@dataclasses.dataclass(frozen=True)
class DilatancyBoundary:
    """A dilatancy boundary given in the case file (``[[indicators.dilatancy]]``), for the named
    criteria of the literature (Hunsche, Spiers, Günther–Salzer, …) with the coefficients of the
    user's source, in (x, τ) = (σ_oct, τ_oct) = (I1/3, √(2/3) √J2) ("octahedral"), (I1, √J2)
    ("invariants") or (σ3, σ1 − σ3) ("principal": the differential stress at dilatancy onset
    against the confining stress, as triaxial tests report it), compression positive, MPa:

    - ``form = "polynomial"``: τ_D = Σ_k c_k x^k (c_k in MPa^(1−k));
    - ``"power"``: τ_D = c0 + c1 (x / 1 MPa)^c2 (c0, c1 in MPa; x below 0 counts as 0), the form of
      De Vries' numerator T0 + D1 (I1/σ0)^m;
    - ``"saturating"``: τ_D = c0 + c1 x / (c2 + x) (all in MPa, c2 > 0; x below 0 counts as 0): a
      boundary that rises with the confinement and levels off at c0 + c1, hyperbolic in σ3 as the
      IfG-type (Günther–Salzer, Minkley) salt boundaries are (the user checks the source's form).

    Factor of safety τ_D/τ; where the boundary is not positive at that stress it is 0 (no
    strength)."""

    name: str
    variables: str
    coefficients: tuple[float, ...]
    source: str
    #: Lode dependence in De Vries' form (None: none): the boundary above is the one in triaxial
    #: compression, scaled to Lode angle ψ_D (De Vries', +30° compression, −30° extension) by
    #: (√3 cos 30° − d2 sin 30°)/(√3 cos ψ_D − d2 sin ψ_D): lower in extension for d2 > 0
    lode_d2: float | None = None
    form: str = "polynomial"

    def boundary(self, x: np.ndarray) -> np.ndarray:
        """τ_D at the mean-stress variable ``x`` (triaxial compression; before any Lode scaling)."""
        c = np.asarray(self.coefficients, dtype=float)
        if self.form == "polynomial":
            return np.polynomial.polynomial.polyval(x, c)
        xp = np.maximum(x, 0.0)
        if self.form == "power":
            return c[0] + c[1] * xp ** c[2]
        if self.form == "saturating":
            return c[0] + c[1] * xp / (c[2] + xp)
        raise ValueError(f"dilatancy boundary {self.name!r}: unknown form {self.form!r}")

    def lode_scale(self, psi: np.ndarray) -> np.ndarray | float:
        """The factor on the compression boundary at the Lode angle ``psi`` of this module (−30° in
        compression); 1 without ``lode_d2``."""
        if self.lode_d2 is None:
            return 1.0
        return devries_lode(np.radians(-30.0), self.lode_d2) / devries_lode(psi, self.lode_d2)

    def factor(self, I1: np.ndarray, sqJ2: np.ndarray, eig: np.ndarray | None = None, psi=None) -> np.ndarray:
        """``eig``: principal stresses, ascending (N, 3), needed for "principal"; ``psi``: the Lode
        angle (module convention), needed with ``lode_d2``."""
        if self.variables == "octahedral":
            x, tau = I1 / 3.0, np.sqrt(2.0 / 3.0) * sqJ2
        elif self.variables == "principal":
            x, tau = eig[:, 0], eig[:, 2] - eig[:, 0]
        else:
            x, tau = I1, sqJ2
        bound = self.boundary(x)
        if self.lode_d2 is not None:
            if psi is None:
                raise ValueError(f"dilatancy boundary {self.name!r} has a Lode dependence: give psi")
            bound = bound * self.lode_scale(psi)
        return np.maximum(bound, 0.0) / np.maximum(tau, 1e-12)


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


def devries_lode(psi, d2: float):
    """De Vries' Lode term √3 cos ψ_D − d2 sin ψ_D, with ``psi`` the Lode angle of this module (−30°
    in triaxial compression) turned into De Vries' (ψ_D = −ψ, +30° in compression): the boundary
    divided by it is lower in extension than in compression for d2 > 0 (module docstring)."""
    psi_d = -np.asarray(psi)
    return np.sqrt(3.0) * np.cos(psi_d) - d2 * np.sin(psi_d)


def devries_boundary(I1, psi, dv: DeVries = DeVries()):
    """√J2 at the De Vries dilatancy boundary [MPa] (``psi``: the Lode angle of this module)."""
    return (dv.D1 * np.maximum(I1 / dv.sigma0, 0.0) ** dv.m + dv.T0) / devries_lode(psi, dv.D2)


def dilatancy_factors(I1, sqJ2, psi, dv: DeVries = DeVries()):
    sq = np.maximum(sqJ2, 1e-12)
    fs_vs = 0.27 * I1 / sq
    return fs_vs, devries_boundary(I1, psi, dv) / sq


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
    st = P @ sc @ P
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


def _linear_fit(qpts: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """(len(pts), len(qpts)) matrix that evaluates at ``pts`` the linear field fitted (least
    squares; exact when len(qpts) = tdim + 1) to values at the reference points ``qpts``."""
    Vq = np.column_stack([np.ones(len(qpts)), qpts])
    Vp = np.column_stack([np.ones(len(pts)), pts])
    return Vp @ np.linalg.pinv(Vq)


def _facet_samples(cell_type) -> list[np.ndarray]:
    """Three sample points per reference facet (2D: at 1/6, 1/2, 5/6 of the edge; 3D: the
    3-point rule of the triangle), each representing a third of the facet."""
    import basix

    geom = basix.geometry(cell_type)
    tdim = geom.shape[1]
    out = []
    for verts in basix.topology(cell_type)[tdim - 1]:
        v = geom[verts]
        if tdim == 2:
            t = np.array([1 / 6, 1 / 2, 5 / 6])[:, None]
            out.append(v[0] + t * (v[1] - v[0]))
        else:
            bary = np.array([[2 / 3, 1 / 6, 1 / 6], [1 / 6, 2 / 3, 1 / 6], [1 / 6, 1 / 6, 2 / 3]])
            out.append(bary @ v)
    return out


def _gather(comm, a: np.ndarray) -> np.ndarray:
    """Concatenate the ranks' arrays (rank order) on every rank."""
    parts = comm.allgather(np.ascontiguousarray(a))
    return np.concatenate(parts, axis=0)


def _third_subpoints(m: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Barycentric points and weights (summing to 1) of the third of a triangle nearest its
    vertex 0 (where λ0 is the largest: the quadrilateral vertex 0, the two adjacent edge
    midpoints and the centroid), an m × m midpoint rule of its bilinear map. Symmetric in λ1 ↔ λ2."""
    C = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.0, 0.5]])
    g = (np.arange(m) + 0.5) / m
    s, t = (a.ravel() for a in np.meshgrid(g, g, indexing="ij"))
    lam = np.stack([(1 - s) * (1 - t), s * (1 - t), s * t, (1 - s) * t], axis=1) @ C
    xs = np.stack([-(1 - t), 1 - t, t, -t], axis=1) @ C[:, 1:]  # ∂/∂s, ∂/∂t in (λ1, λ2)
    xt = np.stack([-(1 - s), -s, s, 1 - s], axis=1) @ C[:, 1:]
    J = np.abs(xs[:, 0] * xt[:, 1] - xs[:, 1] * xt[:, 0])
    return lam, J / J.sum()


SUB_M = 4  # 3D: each sample's third of its facet is resolved by SUB_M² points in the window


def _third_regions(X: np.ndarray, m: int = SUB_M) -> tuple[np.ndarray, np.ndarray]:
    """3D: for the three samples of each (affine) triangle facet, X (nf, 3, 3) at the
    barycentric points (2/3, 1/6, 1/6) etc., the points resolving the third each stands for,
    as offsets from the sample (nf·3, m², 3), and their weights (m²,)."""
    lam, w = _third_subpoints(m)
    c = X.mean(axis=1, keepdims=True)
    V = 2.0 * X - c  # the facet's vertices: X_i = c/2 + V_i/2
    out = np.empty((X.shape[0], 3, lam.shape[0], 3))
    for i in range(3):
        li = np.empty_like(lam)
        li[:, [i] + [k for k in range(3) if k != i]] = lam  # column 0 (the largest) goes to vertex i
        out[:, i] = np.einsum("qv,fvk->fqk", li, V) - X[:, i, None, :]
    return out.reshape(-1, lam.shape[0], 3), w


def _inside(c: np.ndarray, x: np.ndarray, half: np.ndarray | None, R: float,
            sub: np.ndarray | None = None, subw: np.ndarray | None = None) -> np.ndarray:
    """Fraction of each sample's part of the wall within R of the points c: 2D, the segment
    x ± half exactly; 3D, the sample's third of its facet resolved by the points x + sub
    (weights subw; 1 or 0 by the sample itself when sub is None)."""
    p = x - c
    if half is None:
        if sub is None:
            return (np.einsum("ij,ij->i", p, p) <= R * R).astype(float)
        out = np.empty(p.shape[0])
        for a in range(0, p.shape[0], 65536):  # bounded memory: pairs × m² × 3
            d = p[a:a + 65536, None, :] + sub[a:a + 65536]
            out[a:a + 65536] = (np.einsum("ijk,ijk->ij", d, d) <= R * R) @ subw
        return out
    a = np.einsum("ij,ij->i", half, half)
    b = np.einsum("ij,ij->i", half, p)
    disc = b * b - a * (np.einsum("ij,ij->i", p, p) - R * R)
    sq = np.sqrt(np.maximum(disc, 0.0))
    lo = np.maximum((-b - sq) / a, -1.0)
    hi = np.minimum((-b + sq) / a, 1.0)
    return np.where(disc > 0, np.maximum(hi - lo, 0.0) / 2.0, 0.0)


class _WallSamples:
    """Wall samples of one cavern: the stress of each wall element extrapolated to three
    points of its wall facet, averaged along the wall over a window (see module doc)."""

    NS = 3  # samples per facet

    def __init__(self, model, facets: np.ndarray, *, volume: float, window: float | None, roof_fraction: float):
        import ufl
        from dolfinx import fem
        from dolfinx.mesh import entities_to_geometry
        from scipy import sparse
        from scipy.spatial import cKDTree

        cm = model.cm
        mesh = cm.mesh
        comm = model.comm
        tdim = mesh.topology.dim
        gdim = cm.gdim
        self.zc = gdim - 1
        mesh.topology.create_connectivity(tdim - 1, tdim)
        mesh.topology.create_connectivity(tdim, tdim - 1)
        f2c = mesh.topology.connectivity(tdim - 1, tdim)
        c2f = mesh.topology.connectivity(tdim, tdim - 1)
        nown = mesh.topology.index_map(tdim).size_local
        nq = model.nq
        cells = np.array([f2c.links(f)[0] for f in facets], dtype=np.int32)
        keep = cells < nown
        facets, cells = facets[keep], cells[keep]
        local = np.array([int(np.flatnonzero(c2f.links(c) == f)[0]) for f, c in zip(facets, cells)], dtype=int)
        ref = _facet_samples(mesh.basix_cell())
        ns = self.NS
        nf = facets.size
        self.E = np.zeros((nf, ns, nq))
        X = np.zeros((nf, ns, gdim))
        xc = np.zeros((nf, gdim))
        x = ufl.SpatialCoordinate(mesh)
        centroid = np.full((1, tdim), 1.0 / (tdim + 1))
        # fem.Expression compiles collectively: every rank creates each one, wall cells or not
        for k, pts in enumerate(ref):
            sel = np.flatnonzero(local == k)
            self.E[sel] = _linear_fit(model.qpts, pts)[None]
            X[sel] = fem.Expression(x, pts).eval(mesh, cells[sel]).reshape(sel.size, ns, gdim)
        xc[:] = fem.Expression(x, centroid).eval(mesh, cells).reshape(nf, gdim)
        self.qidx = cells.astype(np.int64)[:, None] * nq + np.arange(nq)[None]
        # facet measure (the samples span 2/3 of an edge, or 1/4 of a triangle's area)
        if tdim == 2:
            meas = 1.5 * np.linalg.norm(X[:, 2] - X[:, 0], axis=1) if nf else np.zeros(0)
        else:
            meas = 2.0 * np.linalg.norm(np.cross(X[:, 1] - X[:, 0], X[:, 2] - X[:, 0]), axis=1) if nf else np.zeros(0)
        n = _facet_normals(mesh, facets)  # sign arbitrary: orient into the cavern
        flip = np.einsum("ij,ij->i", n[:, :gdim], X[:, 1] - xc) < 0
        n[flip] *= -1
        zone = model.zone[self.qidx[:, 0]] if nf else np.zeros(0, int)
        salt = model.mat.Astar[self.qidx[:, 0]] > 0 if nf else np.zeros(0, bool)
        rep = lambda a: np.repeat(a, ns, axis=0)  # noqa: E731
        # the same global sample list (rank order) on every rank: the window and the minima
        # are then computed identically everywhere
        self.X = _gather(comm, X.reshape(-1, gdim))
        # 2D: each sample stands for a third of its facet, X ± half (for the window's edges)
        self.half = _gather(comm, rep((X[:, 2] - X[:, 0]) / 4.0 if nf else np.zeros((0, gdim)))) if tdim == 2 else None
        # 3D: each sample stands for a third of its facet, resolved by SUB_M² points (partial
        # overlap with the window counts by area, not all-or-nothing by the sample)
        self.sub, self.subw = None, None
        if tdim == 3:
            sub, self.subw = _third_regions(X) if nf else (np.zeros((0, SUB_M**2, 3)), _third_subpoints(SUB_M)[1])
            self.sub = _gather(comm, sub.reshape(sub.shape[0], 3 * SUB_M**2)).reshape(-1, SUB_M**2, 3)
        self.w = _gather(comm, rep(meas) / ns)
        self.n = _gather(comm, rep(n))
        self.zone = _gather(comm, rep(zone))
        self.salt = _gather(comm, rep(salt)).astype(bool)
        self.comm = comm
        self.model = model
        # cavern top and bottom from the wall's mesh nodes (exact, mesh-independent)
        nodes = entities_to_geometry(mesh, tdim - 1, facets.astype(np.int32)) if nf else np.zeros((0, 1), np.int32)
        zn = mesh.geometry.x[nodes.reshape(-1), self.zc] if nf else np.zeros(0)
        self.ztop = comm.allreduce(zn.max() if zn.size else -np.inf, op=MPI.MAX)
        self.zbot = comm.allreduce(zn.min() if zn.size else np.inf, op=MPI.MIN)
        N = self.X.shape[0]
        zroof = self.ztop - roof_fraction * (self.ztop - self.zbot)
        # where the wall crosses the roof's lower limit: extra window centres (so that a
        # minimum at the limit is not taken at the nearest sample, an O(h) shift)
        cx, cn, cz, cs = [np.zeros((0, gdim))], [np.zeros((0, 3))], [np.zeros(0, int)], [np.zeros(0, bool)]
        if nf:
            xv = mesh.geometry.x[nodes[:, : tdim]][:, :, :gdim]  # the facets' vertices (first nodes)
            for a, b in ((0, 1), (1, 2), (0, 2))[: 1 if tdim == 2 else 3]:
                za, zb = xv[:, a, self.zc] - zroof, xv[:, b, self.zc] - zroof
                hit = (za * zb <= 0) & (za != zb)
                t = za[hit] / (za[hit] - zb[hit])
                cx.append(xv[hit, a] + t[:, None] * (xv[hit, b] - xv[hit, a]))
                cn.append(n[hit])
                cz.append(zone[hit])
                cs.append(salt[hit])
        Xc = _gather(comm, np.concatenate(cx))
        nc = _gather(comm, np.concatenate(cn))
        zonec = _gather(comm, np.concatenate(cz))
        saltc = _gather(comm, np.concatenate(cs)).astype(bool)
        Nc = Xc.shape[0]
        # the evaluation points: the samples, then the roof-limit centres
        self.Xe = np.concatenate([self.X, Xc])
        self.salt_e = np.concatenate([self.salt, saltc])
        self.roof = np.concatenate([self.X[:, self.zc] >= zroof, np.ones(Nc, bool)])
        # the window: samples within ℓ/2 of each evaluation point (same zone, normals < 90° apart)
        self.req = (volume / np.pi) ** 0.5 if cm.kind == "plane_strain" else (3 * volume / (4 * np.pi)) ** (1 / 3)
        self.window = WINDOW_FRACTION * self.req if window is None else float(window)
        ne, zonee = np.concatenate([self.n, nc]), np.concatenate([self.zone, zonec])
        # axisymmetric: the axis is a mirror line; samples near it enter the windows also
        # mirrored (r → −r, with σ_rz and n_r changing sign), so windows at the axis are two-sided
        self.axisym = cm.kind == "axisymmetric"
        images = [(self.X, self.half, self.n, 1.0)]
        if self.axisym:
            m2 = np.array([-1.0, 1.0])
            images.append((self.X * m2, self.half * m2, self.n * np.array([-1.0, 1.0, 1.0]), -1.0))
        rows, cols, vals, sign = [], [], [], []
        if self.window > 0 and N:
            R = 0.5 * self.window
            reach = R + (np.linalg.norm(self.half, axis=1).max() if self.half is not None
                         else np.linalg.norm(self.sub, axis=2).max() if self.sub is not None else 0.0)
            for Xs, hs, ns_, sg in images:
                pairs = cKDTree(Xs).sparse_distance_matrix(cKDTree(self.Xe), reach, output_type="ndarray")
                j, i = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64)  # sample j near evaluation point i
                ok = (zonee[i] == self.zone[j]) & (np.einsum("ij,ij->i", ne[i], ns_[j]) > 0)
                i, j = i[ok], j[ok]
                frac = _inside(self.Xe[i], Xs[j], None if hs is None else hs[j], R,
                               None if self.sub is None else self.sub[j], self.subw)
                keep = frac > 0
                rows.append(i[keep])
                cols.append(j[keep])
                vals.append(frac[keep])
                sign.append(np.full(keep.sum(), sg))
        else:
            rows, cols, vals, sign = [np.arange(N)], [np.arange(N)], [np.ones(N)], [np.ones(N)]
        if N and Nc:  # a centre with no sample in its window (h > ℓ, or ℓ = 0): the nearest sample
            has = np.zeros(N + Nc, bool)
            has[np.concatenate(rows)] = True
            empty = np.flatnonzero(~has[N:])
            if empty.size:
                _, near = cKDTree(self.X).query(Xc[empty])
                rows.append(N + empty)
                cols.append(np.asarray(near, dtype=np.int64))
                vals.append(np.ones(empty.size))
                sign.append(np.ones(empty.size))
        i, j = np.concatenate(rows), np.concatenate(cols)
        v, sg = self.w[j] * np.concatenate(vals), np.concatenate(sign)
        # each sample's stress enters a window in the frame of the evaluation point: rotated
        # by the rotation that takes its normal to the point's normal (averaging Cartesian
        # components along a curved wall would mix the normal and tangential stresses)
        self.ne = ne
        self.mirror = sg < 0
        nj = np.where(self.mirror[:, None], self.n[j] * np.array([-1.0, 1.0, 1.0]), self.n[j])
        self.R = _rotations(nj, ne[i])
        self.pj = j
        tot = np.bincount(i, weights=v, minlength=self.Xe.shape[0])
        self.S = sparse.csr_matrix((v / tot[i], (i, np.arange(i.size))), shape=(self.Xe.shape[0], i.size))

    def stress_c(self) -> np.ndarray:
        """Window-averaged total stress on the wall at the evaluation points (the samples,
        then the roof-limit centres), compression positive [MPa], (N + Nc, 3, 3)."""
        m = self.model
        sq = m.stress[self.qidx]  # (nf, nq, m)
        pq = m.p_lith_q[self.qidx]
        s = np.einsum("fsq,fqk->fsk", self.E, sq).reshape(-1, m.m)
        p = np.einsum("fsq,fq->fs", self.E, pq).reshape(-1)
        s, p = _gather(self.comm, s), _gather(self.comm, p)
        sig = mandel_to_tensor(s, "3d" if m.kind == "3d" else "2d")
        sig -= p[:, None, None] * np.eye(3)[None]
        T = sig[self.pj]
        T[self.mirror, 0, 1] *= -1.0  # the mirror image across the axis: σ_rz → −σ_rz
        T[self.mirror, 1, 0] *= -1.0
        T = self.R @ T @ self.R.transpose(0, 2, 1)
        avg = (self.S @ T.reshape(-1, 9)).reshape(-1, 3, 3)
        return -avg / 1e6


def _rotations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, 3, 3) rotations taking the unit vectors a to b (about a × b; a·b > 0 here)."""
    v = np.cross(a, b)
    c = np.einsum("ij,ij->i", a, b)
    K = np.zeros((a.shape[0], 3, 3))
    K[:, 0, 1], K[:, 0, 2], K[:, 1, 2] = -v[:, 2], v[:, 1], -v[:, 0]
    K[:, 1, 0], K[:, 2, 0], K[:, 2, 1] = v[:, 2], -v[:, 1], v[:, 0]
    return np.eye(3)[None] + K + np.einsum("nij,njk->nik", K, K) / (1.0 + c)[:, None, None]


class WallIndicators:
    """Collects the wall samples and the wall and pillar integration points of a
    :class:`CreepModel` once. ``window``: the length [m] over which the wall stress is
    averaged along the wall (None: 0.1 × the cavern's equivalent radius; 0: no averaging)."""

    def __init__(self, model, *, roof_fraction: float = 0.15, pillars: list[tuple[int, int, dict, dict]] | None = None,
                 window: float | None = None, devries: DeVries = DeVries(), dilatancy: tuple[DilatancyBoundary, ...] = ()):
        self.model = model
        self.devries = devries  # the case's [indicators] devries_* parameters
        self.dilatancy = tuple(dilatancy)  # the case's [[indicators.dilatancy]] boundaries
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
        self.inroof = []
        self.wall = []
        for i in range(cm.n_caverns):
            facets = cm.facet_tags.find(WALL0 + i)
            self.wall.append(_WallSamples(model, facets, volume=float(model.V0[i]), window=window,
                                          roof_fraction=roof_fraction))
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
            self.inroof.append(z >= ztop - roof_fraction * (ztop - zbot))
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

    def _criteria(self, I1, sqJ2, psi, eig, dv: DeVries) -> list[tuple[str, np.ndarray]]:
        """The dilatancy factors of safety (rock salt only): Van Sambeek, De Vries, the case's own."""
        fs_vs, fs_dv = dilatancy_factors(I1, sqJ2, psi, dv)
        return [("fs_vansambeek", fs_vs), ("fs_devries", fs_dv)] + [
            ("fs_" + b.name, b.factor(I1, sqJ2, eig, psi)) for b in self.dilatancy]

    def _on_wall(self, i: int, P: float, dv: DeVries) -> dict:
        """Indicators on the wall (extrapolated, window-averaged): minima over the wall and the roof."""
        m = self.model
        ws = self.wall[i]
        sc = ws.stress_c()
        I1, sqJ2, psi, eig = invariants(sc)
        Pz = (P + m.brine_gradient[i] * (m.shoe_z[i] - ws.Xe[:, self.zc])) / 1e6
        margin = min_tangential(sc, ws.ne) - Pz
        rec = {}
        crit = [(name, val, ws.salt_e) for name, val in self._criteria(I1, sqJ2, psi, eig, dv)]
        for name, val, sel in crit + [("tension_margin_MPa", margin, np.ones(margin.size, bool))]:
            k = np.flatnonzero(sel)
            if k.size:
                j = k[np.argmin(val[k])]
                loc = ws.Xe[j]
                rec[name] = float(val[j])
                rec[name + "_depth"] = float(-loc[self.zc])
                rec[name + "_r"] = float(loc[0]) if m.kind != "3d" else float(np.hypot(*loc[:2]))
            else:
                rec[name], rec[name + "_depth"], rec[name + "_r"] = np.inf, np.nan, np.nan
            kr = np.flatnonzero(sel & ws.roof)
            rec["roof_" + name] = float(val[kr].min()) if kr.size else np.inf
        return rec

    def _at_points(self, i: int, P: float, dv: DeVries) -> dict:
        """The indicators at the integration points next to the wall (before issue 13), ``ip_`` keys."""
        m = self.model
        comm = m.comm
        idx = self.points[i]
        sc = self.total_stress_c(idx)
        I1, sqJ2, psi, eig = invariants(sc)
        X = m.X[idx]
        z = X[:, self.zc]
        Pz = (P + m.brine_gradient[i] * (m.shoe_z[i] - z)) / 1e6
        margin = min_tangential(sc, self.normals[i]) - Pz
        rec = {}
        salt = m.mat.Astar[idx] > 0  # dilatancy criteria are for rock salt only
        crit = [(name, val, salt) for name, val in self._criteria(I1, sqJ2, psi, eig, dv)] + [("tension_margin_MPa", margin, None)]
        for name, val, sel in crit:
            v, loc = _global_min(comm, val if sel is None else val[sel], X if sel is None else X[sel])
            rec["ip_" + name] = v
            rec["ip_" + name + "_depth"] = -loc[self.zc]
            rec["ip_" + name + "_r"] = loc[0] if m.kind != "3d" else float(np.hypot(*loc[:2]))
        inroof = self.inroof[i]
        for name, val, sel in crit:
            s = inroof if sel is None else inroof & sel
            rec["ip_roof_" + name] = comm.allreduce(float(val[s].min()) if s.any() else np.inf, op=MPI.MIN)
        return rec

    def evaluate(self, pressures: np.ndarray, dv: DeVries | None = None) -> list[dict]:
        """Per cavern: the indicators on the wall (minima over the wall, their location, and
        over the roof) and the same at the integration points next to the wall (``ip_``).
        ``dv``: De Vries parameters (default: those the indicators were made with)."""
        dv = self.devries if dv is None else dv
        return [{**self._on_wall(i, pressures[i], dv), **self._at_points(i, pressures[i], dv)} for i in range(len(self.points))]

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
