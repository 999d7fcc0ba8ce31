"""The layered soil column: vertical pore-water flow coupled to compression and oxidation.

Cells are ordered from the top down; the column stands on a base that moves with the deep
subsidence (the caller gives every level relative to that base). For each time step:

1. total vertical stress at the cell centres from the weights above (saturated unit weight
   below the phreatic level, unsaturated above) plus a surface surcharge;
2. pore-water heads ``H`` in the saturated cells from the implicit (backward-Euler)
   finite-volume balance ``outflow * dt = d_eps * h`` with the phreatic level as drained top
   boundary and, at the base, a prescribed aquifer head or no flow (Terzaghi consolidation
   with the compression law's consistent tangent; Newton iterations on a tridiagonal system,
   vectorised over a batch of columns that share the layering);
3. strains from the compression law (:mod:`.compression`), thickness ``h = h0 exp(-eps)``;
4. oxidation of organic cells above the phreatic level (:mod:`.oxidation`).

Cells above the phreatic level carry no pore pressure (suction is neglected).
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
from scipy.linalg import lapack

from subsidence.log import Progress
from subsidence.units import SECONDS_PER_YEAR as _YEAR_S
from subsidence.shallow.column.compression import (  # noqa: F401  (strain_increment: re-exported as before)
    SIGMA_MIN, TAU_REF, Isotache, Koppejan, LinearCompression, MixedStepLaw, StepLaw, _selector, strain_increment)
from subsidence.shallow.column.oxidation import CO2_PER_C, AerationTable, NoOxidation, PeatOxidation, thickness_loss

GAMMA_W = 9810.0  # N/m^3


@dataclasses.dataclass(frozen=True)
class ColumnLayer:
    """One soil layer. Units: m, m/s, N/m^3, Pa."""

    name: str
    thickness: float
    k: float
    gamma_sat: float
    gamma_unsat: float
    compression: LinearCompression | Isotache | Koppejan
    ocr: float = 1.0
    pop: float = 0.0
    oxidation: NoOxidation | PeatOxidation = NoOxidation()
    max_cell: float = 0.25
    #: stress-dependent permeability (Taylor): log10(k/k0) = Δe/C_k with the void ratio from the
    #: natural strain, e = (1 + e0) exp(−ε) − 1; None: constant k
    permeability: tuple[float, float] | None = None  # (e0, C_k)

    def __post_init__(self):
        for name in ("thickness", "k", "gamma_sat", "max_cell"):
            if not getattr(self, name) > 0:
                raise ValueError(f"layer {self.name}: {name} must be > 0")
        if not self.gamma_unsat >= 0 or not self.ocr >= 1 or not self.pop >= 0:
            raise ValueError(f"layer {self.name}: need gamma_unsat >= 0, ocr >= 1, pop >= 0")


@dataclasses.dataclass
class ColumnHistory:
    """Results at the requested times. Settlements positive downwards (m), shape (nt, nb)."""

    times: np.ndarray
    settlement: np.ndarray
    compaction: np.ndarray
    oxidation: np.ndarray
    layer_settlement: np.ndarray  # (nt, nb, nlayers)
    layer_names: list[str]
    mean_effective_stress: np.ndarray  # (nt, nb) thickness-weighted, Pa
    co2: np.ndarray | None = None  # (nt, nb) cumulative CO2 from oxidation, kg/m^2


def layer_mismatch(base: list[ColumnLayer], layers: list[ColumnLayer]) -> str | None:
    """Why ``layers`` cannot be one column's values of a column on ``base`` (its cells are base's),
    or None when they can: the same layer names in the same order, each layer with base's
    ``max_cell`` (its cell count is base's layer's; a different thickness scales the cells), the
    same compression law type (for the isotache law: creep c > 0 exactly where base's has it), and
    the same moisture curve of the oxidation. Everything else may differ: thickness, k and the
    permeability law, unit weights, ocr, pop, the law's values (mv; a, b, c; Koppejan's constants)
    and the oxidation's values (alpha >= 0, densities, fractions)."""
    if not isinstance(layers, (list, tuple)) or not all(isinstance(L, ColumnLayer) for L in layers):
        return "expected a list of ColumnLayer"
    names, want = [L.name for L in layers], [L.name for L in base]
    if names != want:
        return f"layers {names} differ from the profile's {want} (same names in the same order needed)"
    for B, L in zip(base, layers):
        if L.max_cell != B.max_cell:
            return (f"layer {L.name!r}: max_cell {L.max_cell} differs from the profile's {B.max_cell} (the cell count "
                    "of each layer must be the profile's; a different thickness scales its cells)")
        if type(L.compression) is not type(B.compression):
            return (f"layer {L.name!r}: compression law {type(L.compression).__name__} differs from the profile's "
                    f"{type(B.compression).__name__} (only the law's values can differ per column)")
        if isinstance(B.compression, Isotache) and (L.compression.c > 0) != (B.compression.c > 0):
            return (f"layer {L.name!r}: isotache c = {L.compression.c:g} where the profile's is {B.compression.c:g} "
                    "(creep, c > 0, must be in the same layers as the profile's)")
        if getattr(L.oxidation, "moisture", None) != getattr(B.oxidation, "moisture", None):
            return f"layer {L.name!r}: the oxidation's moisture curve differs from the profile's"
    return None


#: the per-cell values of a layer: attribute of Column → value of a ColumnLayer (read once per
#: layer set, by ``Column.__init__`` for its layers and ``Column._per_column`` for each column's)
_CELL_VALUES = {
    "k": lambda L: L.k,
    "e0": lambda L: L.permeability[0] if L.permeability else 0.0,
    "ck": lambda L: L.permeability[1] if L.permeability else np.inf,
    "g_sat": lambda L: L.gamma_sat,
    "g_unsat": lambda L: L.gamma_unsat,
    "ocr": lambda L: L.ocr,
    "pop": lambda L: L.pop,
    **{name: (lambda L, j=j: L.compression.params()[j]) for j, name in enumerate(("mv", "a", "b", "c"))},
    **{name: (lambda L, j=j: L.oxidation.rate_params()[j]) for j, name in enumerate(("alpha", "rho_org", "f_vol"))},
    "carbon": lambda L: getattr(L.oxidation, "carbon_fraction", 0.0),
    "oxidisable": lambda L: L.oxidation.oxidisable_density() if isinstance(L.oxidation, PeatOxidation) else 0.0,
}

#: the per-cell values a column can have of its own (``Column(column_layers=...)``)
_PER_COLUMN = ("h_init_col", *_CELL_VALUES)


def _koppejan_constant(j):
    return lambda L: L.compression.constants()[j] if isinstance(L.compression, Koppejan) else 1.0


class Column:
    """A soil column of ``layers``, run for a batch of columns at once.

    ``column_layers``: optionally every column's own layers (a list, one list of layers per
    column, as many as the run's columns): its values per column, on the cells of ``layers``
    (see :func:`layer_mismatch` for what may differ). A parameter that is the same in every column
    stays one value per cell (the single-layer-set path); one that differs is kept per column and
    cell (ncolumns, ncell). Each column then equals a Column of its own layers run alone, except
    that a layer's cell count is that of ``layers`` (a thicker layer has thicker cells)."""

    def __init__(self, layers: list[ColumnLayer], *, bottom: str = "no_flow", oxidation_depth: float = 1.2,
                 gamma_w: float = GAMMA_W, tau_ref: float = TAU_REF, newton_tol: float = 1e-9, max_iter: int = 40,
                 past_lowering: float = 0.0, column_layers: list[list[ColumnLayer]] | None = None):
        if not layers:
            raise ValueError("a column needs at least one layer")
        if bottom not in ("no_flow", "head"):
            raise ValueError("bottom must be 'no_flow' or 'head'")
        self.layers = list(layers)
        self.bottom = bottom
        self.oxidation_depth = oxidation_depth
        if not past_lowering >= 0:
            raise ValueError(f"past_lowering must be >= 0, got {past_lowering}")
        #: the phreatic level (and the bottom head) were once this much lower than at the start: the
        #: effective stresses of that state preconsolidate the column (its stress history)
        self.past_lowering = float(past_lowering)
        self.gamma_w = gamma_w
        self.tau_ref = tau_ref
        self.newton_tol = newton_tol
        self.max_iter = max_iter
        h, lay = [], []
        for i, layer in enumerate(layers):
            n = max(1, int(np.ceil(layer.thickness / layer.max_cell - 1e-9)))
            h += [layer.thickness / n] * n
            lay += [i] * n
        self.h_init = np.array(h)
        self.layer_of_cell = np.array(lay)
        pick = lambda f: np.array([f(layers[i]) for i in lay], dtype=float)  # noqa: E731
        for name, f in _CELL_VALUES.items():
            setattr(self, name, pick(f))
        self.k_varies = bool(np.any(np.isfinite(self.ck)))
        self.koppejan = np.array([isinstance(layers[i].compression, Koppejan) for i in lay], dtype=bool)
        self.kop_constants = tuple(pick(_koppejan_constant(j)) for j in range(4))
        # moisture-dependent oxidation: per layer with a retention curve, its cells among the oxidising ones
        self.h_init_col = self.h_init  # the initial cell thicknesses, (n,) or per column (nb, n)
        self.ncolumns = None  # the number of columns with values of their own (None: one set of layers)
        self.column_layers = None
        if column_layers is not None:
            self._per_column(column_layers)
        ox_cells = np.flatnonzero(self._oxidising_cells())
        self.aeration = []
        for i, L in enumerate(layers):
            ret = getattr(L.oxidation, "moisture", None)
            if ret is not None and np.any(self._oxidising_cells()[self.layer_of_cell == i]):
                self.aeration.append((np.flatnonzero(self.layer_of_cell[ox_cells] == i),
                                      AerationTable(ret, span=float(np.max(self.h_init_col.sum(-1))) + 1.0)))

    def _oxidising_cells(self):
        """(n,) the cells that oxidise in some column."""
        return self.alpha > 0 if self.alpha.ndim == 1 else np.any(self.alpha > 0, axis=0)

    def _per_column(self, column_layers):
        base = self.layers
        for j, lay in enumerate(column_layers):
            why = layer_mismatch(base, lay)
            if why is not None:
                raise ValueError(f"column {j}: {why}")
        self.column_layers = [list(lay) for lay in column_layers]
        nb = len(column_layers)
        self.ncolumns = nb
        lay = self.layer_of_cell
        ncell = np.bincount(lay, minlength=len(base))

        def per(f):  # (nb, n) from a value per layer, or (n,) when every column has the same
            v = np.array([[f(L) for L in cols] for cols in column_layers], dtype=float).reshape(nb, len(base))
            if nb and np.all(v == v[:1]):
                return v[0][lay]
            return v[:, lay]

        h = per(lambda L: L.thickness)
        self.h_init_col = h / ncell[lay]
        if self.h_init_col.ndim == 1:
            self.h_init_col = self.h_init if np.array_equal(self.h_init_col, self.h_init) else self.h_init_col
        for name, f in _CELL_VALUES.items():
            setattr(self, name, per(f))
        self.k_varies = bool(np.any(np.isfinite(self.ck)))
        self.kop_constants = tuple(per(_koppejan_constant(j)) for j in range(4))

    def take(self, columns) -> "Column":
        """The Column of some of the columns (indices into ``column_layers``); itself when it has one
        set of layers."""
        if self.ncolumns is None:
            return self
        columns = np.asarray(columns, dtype=int)
        new = copy.copy(self)
        for name in _PER_COLUMN:
            v = getattr(self, name)
            if v.ndim == 2:
                setattr(new, name, v[columns])
        new.kop_constants = tuple(v[columns] if v.ndim == 2 else v for v in self.kop_constants)
        new.column_layers = [self.column_layers[j] for j in columns]
        new.ncolumns = columns.size
        return new

    @property
    def ncell(self) -> int:
        return self.h_init.size

    @property
    def height(self) -> float:
        return float(self.h_init.sum())

    # -- geometry and stresses ----------------------------------------------------------
    @staticmethod
    def _levels(h):
        """Cell top, bottom, centre elevations above the base; h (nb, n) top-down."""
        below = np.cumsum(h[:, ::-1], axis=1)[:, ::-1]  # top of each cell
        top = below
        bot = below - h
        return top, bot, 0.5 * (top + bot)

    def _total_stress(self, h0, h, bot, hp, surcharge):
        f_sat = (hp[:, None] - bot) / h
        np.maximum(f_sat, 0.0, out=f_sat)  # np.clip(f_sat, 0, 1)
        np.minimum(f_sat, 1.0, out=f_sat)
        w = (self.g_unsat + f_sat * (self.g_sat - self.g_unsat)) * h0
        ponded = self.gamma_w * np.maximum(hp - (bot[:, 0] + h[:, 0]), 0.0)  # free water above the surface
        return np.cumsum(w, axis=1) - 0.5 * w + (surcharge + ponded)[:, None]

    def permeability(self, eps):
        """Hydraulic conductivity per cell (m/s) at natural strain ``eps`` (nb, n)."""
        if not self.k_varies:
            return self.k
        de = (1.0 + self.e0) * (np.exp(-eps) - 1.0)  # change of the void ratio
        return self.k * np.power(10.0, np.where(np.isfinite(self.ck), de / np.where(np.isfinite(self.ck), self.ck, 1.0), 0.0))

    def _transmissibility(self, h, sat, hp, zc, k=None):
        """Interface, top (to the phreatic level) and bottom transmissibilities; ``k`` per cell
        (n,) or per column and cell (nb, n), default the layers' constant ones."""
        k = np.broadcast_to(self.k if k is None else k, h.shape)
        r = h / (2.0 * k)
        t_int = 1.0 / (r[:, :-1] + r[:, 1:])
        t_int = np.where(sat[:, :-1] & sat[:, 1:], t_int, 0.0)
        # the first saturated cell of each column (the saturated cells are its lower part) drains
        # to the phreatic level
        rows = np.arange(h.shape[0])
        j = sat.argmax(axis=1)
        dist = np.maximum(hp - zc[rows, j], 0.05 * h[rows, j])
        t_top = np.zeros_like(h)
        t_top[rows, j] = np.where(sat[rows, j], k[rows, j] / dist, 0.0)
        t_bot = np.zeros_like(h)
        if self.bottom == "head":
            t_bot[:, -1] = np.where(sat[:, -1], 2.0 * k[:, -1] / h[:, -1], 0.0)
        return t_int, t_top, t_bot

    # -- run ------------------------------------------------------------------------------
    def run(self, times, *, phreatic, bottom_head=None, surcharge=None, temperature=None) -> ColumnHistory:
        """March over ``times`` (s, increasing). ``phreatic``: (nt,) or (nt, nb) phreatic level
        above the column base (m); ``bottom_head`` same shape (needed for ``bottom='head'``);
        ``surcharge`` (Pa) same shape; ``temperature`` (degC) (nt,). The state at ``times[0]``
        is the steady (hydrostatic or seepage) equilibrium with zero strain."""
        times = np.asarray(times, dtype=float)
        nt = times.size
        hp_all = np.asarray(phreatic, dtype=float)
        if hp_all.ndim == 1:
            hp_all = hp_all[:, None]
        nb = hp_all.shape[1]
        if hp_all.shape[0] != nt:
            raise ValueError("phreatic must have one row per time")

        def as2d(v, default):
            if v is None:
                return np.full((nt, nb), default)
            v = np.asarray(v, dtype=float)
            return np.broadcast_to(v[:, None] if v.ndim == 1 else v, (nt, nb))

        if self.bottom == "head" and bottom_head is None:
            raise ValueError("bottom='head' needs bottom_head")
        phi_all = as2d(bottom_head, np.nan)
        q_all = as2d(surcharge, 0.0)
        temp_all = np.broadcast_to(np.asarray(temperature if temperature is not None else 12.27, dtype=float), (nt,))

        if self.ncolumns is not None and nb != self.ncolumns:
            raise ValueError(f"the column has values for {self.ncolumns} column(s) (column_layers), the forcing {nb}")
        n = self.ncell
        h_init = self.h_init_col
        h0 = np.broadcast_to(h_init, (nb, n)).copy()  # reference (unstrained) thickness
        eps = np.zeros((nb, n))
        m_org = h0 * self.oxidisable * (self.alpha > 0)  # the organic mass that can oxidise
        ox_total = np.zeros(nb)
        co2_total = np.zeros(nb)
        h = h0.copy()
        top, bot, zc = self._levels(h)
        hp = hp_all[0]
        sig_tot = self._total_stress(h0, h, bot, hp, q_all[0])
        head = self._steady_heads(h, zc, hp, phi_all[0])
        sat = zc < hp[:, None]
        sig = np.where(sat, sig_tot - self.gamma_w * (head - zc), sig_tot)
        # the compression law floors stresses at SIGMA_MIN: the initial preconsolidation is taken
        # from the floored stress too, else a cell below the floor (a saturated top cell) starts
        # "under-consolidated" against it and creeps centimetres in a day
        sig = np.maximum(sig, SIGMA_MIN)
        sp = np.maximum(self.ocr * sig + self.pop, sig)
        if self.past_lowering > 0:  # the stresses of the lowest past level, in the same (unstrained) column
            hp_past = hp - self.past_lowering
            tot_past = self._total_stress(h0, h, bot, hp_past, q_all[0])
            head_past = self._steady_heads(h, zc, hp_past, phi_all[0] - self.past_lowering)
            sat_past = zc < hp_past[:, None]
            sig_past = np.where(sat_past, tot_past - self.gamma_w * (head_past - zc), tot_past)
            sp = np.maximum(sp, sig_past)

        nl = len(self.layers)
        out_set = np.zeros((nt, nb))
        out_ox = np.zeros((nt, nb))
        out_layer = np.zeros((nt, nb, nl))
        out_sig = np.zeros((nt, nb))
        out_co2 = np.zeros((nt, nb))
        onehot = (self.layer_of_cell[:, None] == np.arange(nl)[None, :]).astype(float)
        out_sig[0] = (sig * h).sum(1) / h.sum(1)

        progress = Progress(f"soil column ({nb} column(s))", nt - 1, unit="step", t_start=times[0] / _YEAR_S,
                            t_end=times[-1] / _YEAR_S)
        if self.koppejan.any():
            law = MixedStepLaw(self.mv, self.a, self.b, self.c, self.koppejan, *self.kop_constants, tau_ref=self.tau_ref)
        else:
            law = StepLaw(self.mv, self.a, self.b, self.c, tau_ref=self.tau_ref)
        mixed = isinstance(law, MixedStepLaw)
        gw = self.gamma_w
        head_bottom = self.bottom == "head"
        ox_cells = self._oxidising_cells()
        oxidising = bool(np.any(ox_cells))
        ox = _selector(ox_cells)
        alpha_ox, rho_ox, f_vol_ox = self.alpha[..., ox], self.rho_org[..., ox], self.f_vol[..., ox]
        co2_ox = self.carbon[..., ox] * CO2_PER_C
        h_init_sum = h_init.sum(-1)
        phi_num = np.nan_to_num(phi_all) if head_bottom else None
        off = np.zeros((nb, n))  # the off-diagonal of the flattened (block-tridiagonal) system
        for it in range(1, nt):
            dt = times[it] - times[it - 1]
            if dt <= 0:
                raise ValueError("times must be strictly increasing")
            hp = hp_all[it]
            top, bot, zc = self._levels(h)
            sig_tot = self._total_stress(h0, h, bot, hp, q_all[it])
            sat = zc < hp[:, None]
            head = np.where(sat, np.where(np.isfinite(head), head, hp[:, None]), zc)
            t_int, t_top, t_bot = self._transmissibility(h, sat, hp, zc, self.permeability(eps) if self.k_varies else None)
            # what does not change within the step: the linear part of the balance
            #   res = t_top (head - hp) + t_bot (head - phi) + interface flows - d_eps h/dt
            # (zero in the unsaturated cells, where head = zc stays put: s1 = sig_tot there)
            t_tb = t_top + t_bot
            b_tb = t_top * hp[:, None]
            if head_bottom:
                b_tb += t_bot * phi_num[it][:, None]
            rate = np.where(sat, h / dt, 0.0)
            gw_rate = gw * rate
            d0 = t_tb.copy()
            d0[:, :-1] += t_int
            d0[:, 1:] += t_int
            d0 = np.where(sat, d0, 1.0)
            np.negative(t_int, out=off[:, :-1])
            off_flat = off.ravel()[:-1]
            if mixed:
                law.begin(sig, sp, dt, eps=eps)
            else:
                law.begin(sig, sp, dt)
            s1 = np.empty_like(head)
            prev = np.inf
            damp, prev_raw = 1.0, np.inf
            for _ in range(self.max_iter):
                np.subtract(head, zc, out=s1)
                s1 *= -gw
                s1 += sig_tot
                d_eps, tang = law.evaluate(s1)
                # -res = d_eps h/dt - flow
                flow = t_tb * head
                flow -= b_tb
                dh = head[:, :-1] - head[:, 1:]
                dh *= t_int
                flow[:, :-1] += dh
                flow[:, 1:] -= dh
                d_eps *= rate
                d_eps -= flow
                tang *= gw_rate
                tang += d0
                delta = _solve_symmetric(tang, off_flat, d_eps, t_int)
                np.maximum(delta, -2.0, out=delta)  # = np.clip(delta, -2, 2), without its Python wrapper
                np.minimum(delta, 2.0, out=delta)
                size = max(delta.max(initial=0.0), -delta.min(initial=0.0))
                if mixed:
                    # Koppejan's tangent jumps where the stress crosses the preconsolidation or the
                    # largest stress reached: full Newton steps can cycle across the kink; the step
                    # is halved while the updates do not shrink, and lengthened again when they do
                    damp = max(0.5 * damp, 1.0 / 64) if size >= 0.5 * prev_raw else min(1.0, 2.0 * damp)
                    prev_raw = size
                    delta *= damp
                    size *= damp
                head = head + delta
                # converged when this update, or the next one that quadratic convergence predicts
                # from the last two (size²/prev² · size, with a safety factor of 10), is below the
                # tolerance: this saves the last iteration that would only confirm convergence
                if size < self.newton_tol or (size < prev < np.inf and size**3 < 0.1 * self.newton_tol * prev**2):
                    break
                prev = size
            else:
                raise RuntimeError(f"soil column: Newton did not converge at t = {times[it]:.4g} s")
            np.subtract(head, zc, out=s1)
            s1 *= -gw
            s1 += sig_tot
            d_eps, _, sp = law.evaluate(s1, new_sp=True)
            eps = eps + d_eps
            sig = np.maximum(s1, 1.0)
            shrink = np.exp(-eps)
            h = h0 * shrink
            # oxidation above the phreatic level, within the oxidation depth below the surface
            # (only the oxidising cells change: elsewhere the loss and the organic mass are zero)
            if oxidising:
                top = np.cumsum(h[:, ::-1], axis=1)[:, ::-1]  # as in _levels
                lower = np.maximum(hp, top[:, 0] - self.oxidation_depth)[:, None]
                h_ox = h[:, ox]
                top_ox = top[:, ox]
                unsat = top_ox - np.maximum(top_ox - h_ox, lower)
                np.maximum(unsat, 0.0, out=unsat)  # np.clip(unsat, 0, h_ox)
                np.minimum(unsat, h_ox, out=unsat)
                for cells, table in self.aeration:  # the aerated thickness ∫ a(ψ) dψ of the oxidising part
                    psi_hi = top_ox[:, cells] - hp[:, None]
                    unsat[:, cells] = np.where(unsat[:, cells] > 0, table(psi_hi) - table(psi_hi - unsat[:, cells]), 0.0)
                dh_ox, dm = thickness_loss(alpha=alpha_ox, rho_org=rho_ox, f_vol=f_vol_ox, unsat_thickness=unsat,
                                           temperature_c=temp_all[it], dt=dt, organic_mass=m_org[:, ox])
                dh_ox = np.minimum(dh_ox, 0.9 * h_ox)
                m_org[:, ox] -= dm
                h0[:, ox] -= dh_ox * np.exp(eps[:, ox])
                h[:, ox] = h0[:, ox] * shrink[:, ox]
                ox_total += dh_ox.sum(1)
                co2_total += (dm * co2_ox).sum(1)
            out_ox[it] = ox_total
            out_co2[it] = co2_total
            h_sum = h.sum(1)
            out_set[it] = h_init_sum - h_sum
            out_layer[it] = (h_init - h) @ onehot
            out_sig[it] = (sig * h).sum(1) / h_sum
            progress.update(t=times[it] / _YEAR_S)
        progress.close()
        return ColumnHistory(times=times, settlement=out_set, compaction=out_set - out_ox, oxidation=out_ox,
                             layer_settlement=out_layer, layer_names=[L.name for L in self.layers],
                             mean_effective_stress=out_sig, co2=out_co2)

    def _steady_heads(self, h, zc, hp, phi):
        sat = zc < hp[:, None]
        head = np.where(sat, hp[:, None], zc)
        if self.bottom == "head":
            t_int, t_top, t_bot = self._transmissibility(h, sat, hp, zc)
            diag = t_top + t_bot
            diag[:, :-1] += t_int
            diag[:, 1:] += t_int
            rhs = t_top * hp[:, None] + t_bot * phi[:, None]
            rhs = np.where(sat, rhs, zc)
            diag = np.where(sat, diag, 1.0)
            head = _thomas(-t_int, diag, -t_int, rhs)
        return head


def _thomas(lower, diag, upper, rhs):
    """Solve tridiagonal systems, batched over axis 0. ``lower[:, i]`` couples cell i+1 to i,
    ``upper[:, i]`` couples cell i to i+1 (both length n-1)."""
    nb, n = diag.shape
    c = np.zeros((nb, n))
    d = np.zeros((nb, n))
    c0 = diag[:, 0]
    c[:, 0] = (upper[:, 0] / c0) if n > 1 else 0.0
    d[:, 0] = rhs[:, 0] / c0
    for i in range(1, n):
        m = diag[:, i] - lower[:, i - 1] * c[:, i - 1]
        if i < n - 1:
            c[:, i] = upper[:, i] / m
        d[:, i] = (rhs[:, i] - lower[:, i - 1] * d[:, i - 1]) / m
    x = np.zeros((nb, n))
    x[:, -1] = d[:, -1]
    for i in range(n - 2, -1, -1):
        x[:, i] = d[:, i] - c[:, i] * x[:, i + 1]
    return x


def _solve_symmetric(diag, off_flat, rhs, t_int):
    """Solve the batch of symmetric tridiagonal systems (diagonal ``diag`` (nb, n), off-diagonal
    ``-t_int`` (nb, n-1)) as one block-diagonal system with LAPACK ``dptsv`` (the matrices are
    diagonally dominant with a positive diagonal); ``off_flat`` is the flattened off-diagonal with
    zeros between the columns. ``diag`` and ``rhs`` (C-contiguous) are overwritten. A system that
    is not positive definite (only with NaN input) gives NaN (the Newton iteration then fails)."""
    nb, n = diag.shape
    if n == 1:
        return rhs / diag
    _, _, x, info = lapack.dptsv(diag.reshape(-1), off_flat, rhs.reshape(-1), overwrite_d=1, overwrite_e=0, overwrite_b=1)
    if info != 0:
        return np.full((nb, n), np.nan)
    return x.reshape(nb, n)
