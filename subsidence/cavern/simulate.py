"""Implicit time integration of a cavern model with operations, step control and checkpoints.

Step control: after every pressure event (phase start, start/end of a release) the
step restarts at ``dt_min`` and then grows by ``growth`` up to ``dt_max``; a sealed
cavern's step aims at 0.9 ``dp_max`` of pressure change. Steps land on phase starts,
release times and output times. A step that crosses a CBBO threshold (``p_high``,
``p_low``, the brine-column floor of a periodic release) is shortened by regula falsi on
its length until the end pressure is within the operator's tolerance (0.1 % of the band)
of the threshold, independent of ``dt_min`` (:meth:`Simulation._locate_event`). The
tangent is refreshed on the first step after every event. A step whose Newton iteration
fails is retried with a quarter of the step (``max_cutbacks`` times); a sealed cavern whose
pressure still changes by more than ``dp_max`` is retried shorter. If a step still fails
the run stops with :class:`SimulationFailed`, which carries everything computed so far.
Each row of the history describes one step: ``status`` the state during it, ``event``
what happens at its end.

Checkpoints (one pickle per rank, same number of ranks to resume) are written every
``checkpoint_every`` steps and hold the FE state, the operators, the brine masses and
the history. The reused tangent of the modified Newton iteration is refreshed at every
checkpoint step in every run, so that a resumed run repeats the uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
from pathlib import Path

import numpy as np
from mpi4py import MPI

from subsidence.cavern.brine import Brine, BrineStep
from subsidence.cavern.model import CreepModel, StepFailed
from subsidence.cavern.operations import Operator
from subsidence.log import Progress, get_logger
from subsidence.units import SECONDS_PER_YEAR

log = get_logger("cavern")


#: leak_off.criterion = "wall": the margin-pressure slope to start with (elastic sphere: the hoop
#: stress 1.5 (S − P) above P), the range it is kept in, and the least pressure change between
#: records that updates it [Pa]
LEAK_GAMMA0 = 1.5
LEAK_GAMMA_RANGE = (0.2, 5.0)
LEAK_DP_SECANT = 1e3


class SimulationFailed(RuntimeError):
    def __init__(self, message: str, result: SimulationResult):
        super().__init__(message)
        self.result = result


class Interrupted(RuntimeError):
    """Raised by ``stop_after`` (tests / controlled interruption) after a checkpoint."""


@dataclasses.dataclass(frozen=True)
class TimeControl:
    end: float
    dt_min: float = 86400.0
    dt_max: float = SECONDS_PER_YEAR
    growth: float = 1.5
    max_cutbacks: int = 8
    dp_max: float = 0.25e6
    outputs: tuple[float, ...] = ()
    checkpoint_every: int = 20


@dataclasses.dataclass
class CavernSpec:
    name: str
    shoe_depth: float
    operator: Operator
    brine: Brine
    rock_T: float  # K, at cavern mid-depth
    mid_depth: float
    sigma_v_shoe: float  # Pa


@dataclasses.dataclass
class SimulationResult:
    rows: list[dict] = dataclasses.field(default_factory=list)
    outputs: list[tuple[float, object]] = dataclasses.field(default_factory=list)
    steps: int = 0
    failed: str | None = None
    failed_steps: int = 0  # Newton failures (each retried with a quarter of the step)
    rejected_steps: int = 0  # converged steps retried shorter (sealed pressure change > dp_max)
    event_solves: int = 0  # extra converged solves spent locating CBBO thresholds in time


class Simulation:
    def __init__(
        self,
        model: CreepModel,
        caverns: list[CavernSpec],
        time: TimeControl,
        *,
        indicators=None,
        roof=None,
        on_output=None,
        checkpoint_dir: str | Path | None = None,
        checkpoint_key: str = "",
    ):
        self.model = model
        self.caverns = caverns
        self.tc = time
        self.indicators = indicators
        self.roof = roof  # roof factors of safety and the roof-span check (subsidence/cavern/roof.py)
        self.on_output = on_output
        self.ckdir = Path(checkpoint_dir) if checkpoint_dir else None
        self.ckkey = checkpoint_key
        self.comm = model.comm
        # whose rank 0 shows the progress (a field's models run on sub-communicators: the world's)
        self.progress_comm = None
        nc = len(caverns)
        self.heat = [None] * nc  # solved brine heat (BrineHeat) where the brine asks for it
        for i, c in enumerate(caverns):
            if c.brine.heat == "conduction":
                from subsidence.cavern.heat import BrineHeat

                b = c.brine
                self.heat[i] = BrineHeat(volume=float(model.V0[i]), T_rock=c.rock_T, deficit=b.initial_temperature_deficit,
                                         k_salt=b.salt_conductivity, kappa_salt=b.salt_diffusivity,
                                         rho_c_brine=b.density * b.specific_heat, t_end=time.end)
        # thermal stress: the solved salt temperature around each conduction cavern as the
        # eigenstrain α ΔT 1 (where a zone has thermal_expansion > 0; case files switch it off
        # with brine.thermal_stress = false by setting α = 0)
        amax = float(model.alpha.max()) if model.alpha.size else 0.0
        self.thermal = any(h is not None for h in self.heat) and self.comm.allreduce(amax, op=MPI.MAX) > 0
        self._wall_law = [None] * nc  # (α, E, ν) of the rock at each conduction cavern's wall
        if self.thermal:
            d = model.wall_distance()
            E = 9 * model.mat.K * model.mat.G / (3 * model.mat.K + model.mat.G)
            nu = (3 * model.mat.K - 2 * model.mat.G) / (2 * (3 * model.mat.K + model.mat.G))
            for i, h in enumerate(self.heat):
                if h is None:
                    continue
                k = int(np.argmin(d[:, i])) if d.shape[0] else -1
                loc = (float(d[k, i]), float(model.alpha[k]), float(E[k]), float(nu[k])) if k >= 0 else (np.inf, 0.0, 1.0, 0.0)
                self._wall_law[i] = min(self.comm.allgather(loc))[1:]
                # the thermal boundary layer √(κ t) is resolved once it spans a wall element
                hw = model.wall_element_size(i)
                t_res = hw * hw / caverns[i].brine.salt_diffusivity
                if t_res > time.dt_min:
                    log.warning("cavern %r: the wall elements (about %.3g m) resolve the cooled layer √(κt) around the "
                                "cavern only after %.3g yr; before then the thermal stress at the wall is underestimated "
                                "(smaller geometry.mesh_size_wall resolves it earlier)", caverns[i].name,
                                hw, t_res / SECONDS_PER_YEAR)
        for c in caverns:  # the leak-off cap: minimum principal (here lithostatic) stress at the shoe − margin
            if c.brine.leak_off:
                c.operator.leak_cap = c.sigma_v_shoe - c.brine.leak_margin
        # leak_off.criterion = "wall": the cap also follows the FE tension margin at the roof (_update_leak_caps)
        self.leak_wall = np.array([c.brine.leak_off and c.brine.leak_criterion == "wall" for c in caverns], bool)
        self.leak_gamma = np.full(nc, LEAK_GAMMA0)  # −d(margin)/dP along the run (secant)
        self.leak_prev = np.full((nc, 2), np.nan)  # (P, margin) of the last record
        self.P = np.array([c.operator.initial_pressure() for c in caverns])
        self.mass = np.zeros(nc)
        self.bled = np.zeros(nc)  # cumulative well out-flow (> 0), m³ at cavern conditions
        self.injected = np.zeros(nc)  # cumulative injection (> 0)
        self.permeated = np.zeros(nc)
        self.leaked = np.zeros(nc)  # cumulative leak-off (brine expelled at the cap), m³ at cavern conditions
        self.mass_out = np.zeros(nc)  # cumulative ρ/ρ_ref-weighted out-flow (bleed + permeation − injection)
        self.mass0 = np.zeros(nc)
        self.t = 0.0
        self.dt = time.dt_min
        self.step = 0
        self.iout = 0
        self.result = SimulationResult()
        self._after_event = False  # the last step ended with a pressure event
        self.label = "cavern"  # how progress is announced (e.g. "scenario base")
        self.outputs = sorted(set(float(t) for t in time.outputs if 0 < t <= time.end) | {time.end})

    # -- helpers -----------------------------------------------------------------------
    def _brine_T(self, i: int, t: float) -> float:
        c = self.caverns[i]
        if self.heat[i] is not None:  # solved: the committed state, or a trial step from it
            return self.heat[i].brine_T if t <= self.t else self.heat[i].trial(t - self.t)
        return c.brine.temperature(t, rock_T=c.rock_T, volume=self.model.V0[i])

    def _set_thermal(self, dt: float) -> None:
        """The salt's temperature change after a step of dt from the committed state (0: the
        committed state) as the FE model's thermal eigenstrain."""
        if self.thermal:
            self.model.set_wall_temperature_change([h.profile(dt) if h is not None else None for h in self.heat])

    def _brine_step(self, i: int, t1: float, dt: float, q_out: float) -> BrineStep:
        c = self.caverns[i]
        coef = c.brine.permeation_coefficient(self.model.V0[i])
        gamma = self.model.brine_gradient[i]
        offset = gamma * (c.mid_depth - c.shoe_depth) - c.brine.pore_pressure_gradient * c.mid_depth
        return BrineStep(c.brine, self.mass[i], self._brine_T(i, t1), dt, q_out=q_out, perm_coef=coef, perm_offset=offset)

    def _update_leak_caps(self, ind: list[dict], roof: list[dict]) -> None:
        """leak_off.criterion = "wall": the pressure at which the tension margin at the roof (the
        least compressive wall stress tangential to the wall minus the brine pressure, on the wall,
        over the roof samples) or, with a casing shoe above the cavern, the margin σ3 − P at the
        shoe falls to ``leak_margin``, extrapolated from the state just recorded
        along the run's own margin-pressure secant (γ = −Δmargin/ΔP between records; the elastic
        sphere's 1.5 until the pressure has moved), and never above the lithostatic cap. A cavern
        already at or below the margin gets its present pressure as the cap (leak-off next step)."""
        for i, c in enumerate(self.caverns):
            if not self.leak_wall[i]:
                continue
            ms = [v for v in (ind[i].get("roof_tension_margin_MPa"), roof[i].get("shoe_margin_MPa"))
                  if v is not None and np.isfinite(v)]
            if not ms:
                continue
            m, P = 1e6 * min(ms), float(self.P[i])
            P0, m0 = self.leak_prev[i]
            if np.isfinite(P0) and abs(P - P0) > LEAK_DP_SECANT:
                self.leak_gamma[i] = float(np.clip(-(m - m0) / (P - P0), *LEAK_GAMMA_RANGE))
            self.leak_prev[i] = (P, m)
            op = c.operator
            if not op.capped:
                cap = P + (m - c.brine.leak_margin) / self.leak_gamma[i]
                op.leak_cap = min(c.sigma_v_shoe - c.brine.leak_margin, max(cap, P))

    def _record(self, dt: float, its: int, events: list[str], during: list[str] | None = None):
        m = self.model
        V = m.volumes()
        ind = self.indicators.evaluate(self.P) if self.indicators is not None else [{}] * len(self.caverns)
        pillars = self.indicators.pillar_stress() if self.indicators is not None else {}
        roof = self.roof.evaluate(self.P) if self.roof is not None else [{}] * len(self.caverns)
        self._update_leak_caps(ind, roof)
        for i, c in enumerate(self.caverns):
            rho = c.brine.relative_density(self.P[i], self._brine_T(i, self.t))
            row = {
                "time_yr": self.t / SECONDS_PER_YEAR,
                "cavern": c.name,
                "mode": c.operator.phase.mode if c.operator.iphase >= 0 else c.operator.phases[0].mode,
                "status": during[i] if during else c.operator.activity,
                "releases": c.operator.releases,
                "pressure_MPa": self.P[i] / 1e6,
                "pressure_gradient_MPa_per_m": self.P[i] / 1e6 / c.shoe_depth,
                "pressure_over_sigma_v": self.P[i] / c.sigma_v_shoe,
                "volume_m3": V[i],
                "volume_loss_rel": 1.0 - V[i] / m.V0[i],
                "bled_m3": self.bled[i],
                "injected_m3": self.injected[i],
                "permeated_m3": self.permeated[i],
                "leaked_m3": self.leaked[i],
                "brine_T_C": self._brine_T(i, self.t) - 273.15,
                "brine_mass_rel": rho * V[i],
                "mass_balance_error": (rho * V[i] + self.mass_out[i] - self.mass0[i]) / self.mass0[i],
                **ind[i],
                **roof[i],
                **self._thermal_columns(i),
                "dt_s": dt,
                "newton_iterations": its,
                "event": events[i] if events else "",
            }
            for k, v in pillars.items():
                row[f"pillar_{k}_vertical_MPa"] = v["vertical_MPa"]
            self.result.rows.append(row)

    def _thermal_columns(self, i: int) -> dict:
        """Wall temperature change and the hoop stress it causes in elastic salt, unrelaxed:
        −α E ΔT_wall/(1 − ν) (tension positive; exact at a spherical cavern's wall in an
        infinite medium). The model's stresses, hence the wall indicators (tension margin,
        dilatancy), contain the thermal stress as relaxed by creep."""
        if not self.thermal or self._wall_law[i] is None:
            return {}
        alpha, E, nu = self._wall_law[i]
        dT = self._brine_T(i, self.t) - self.caverns[i].rock_T
        return {"wall_delta_T_K": dT, "thermal_hoop_elastic_MPa": -alpha * E * dT / (1 - nu) / 1e6}

    # -- checkpoints ---------------------------------------------------------------------
    def _ck_path(self) -> Path:
        return self.ckdir / f"checkpoint_rank{self.comm.rank}of{self.comm.size}.pkl"

    def save_checkpoint(self):
        if self.ckdir is None:
            return
        if self.comm.rank == 0:
            self.ckdir.mkdir(parents=True, exist_ok=True)
        self.comm.Barrier()
        st = {
            "key": self.ckkey,
            "model": self.model.get_state(),
            "ops": [c.operator.state() for c in self.caverns],
            **{k: getattr(self, k) for k in ("P", "mass", "bled", "injected", "permeated", "leaked", "mass_out", "mass0", "t", "dt", "step", "iout", "_after_event",
                                             "leak_gamma", "leak_prev")},
            "result": self.result,
            "heat": [h.state() if h is not None else None for h in self.heat],
        }
        p = self._ck_path()
        tmp = p.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            pickle.dump(st, f)
        os.replace(tmp, p)
        self.comm.Barrier()

    def try_resume(self) -> bool:
        if self.ckdir is None:
            return False
        p = self._ck_path()
        ok = p.is_file()
        st = None
        if ok:
            try:
                with open(p, "rb") as f:
                    st = pickle.load(f)
                ok = st.get("key") == self.ckkey
            except Exception:  # unreadable checkpoint: start again
                ok = False
        steps = self.comm.allgather(st["step"] if ok else -1)
        if not ok or len(set(steps)) != 1 or steps[0] < 0:
            return False
        self.model.set_state(st["model"])
        for c, s in zip(self.caverns, st["ops"]):
            c.operator.load(s)
        for k in ("P", "mass", "bled", "injected", "permeated", "mass_out", "mass0", "t", "dt", "step", "iout"):
            setattr(self, k, st[k])
        for k in ("leaked", "leak_gamma", "leak_prev"):
            if k in st:
                setattr(self, k, st[k])
        for h, T in zip(self.heat, st.get("heat", [None] * len(self.heat))):
            if h is not None and T is not None:
                h.load(T)
        self._after_event = st.get("_after_event", False)
        self.result = st["result"]
        log.info("resumed from checkpoint at t = %.4g yr (step %d)", self.t / SECONDS_PER_YEAR, self.step)
        return True

    # -- main loop ----------------------------------------------------------------------
    def initial_state(self):
        m = self.model
        nc = len(self.caverns)
        self._set_thermal(0.0)
        try:
            m.solve_step(0.0, self.P, np.zeros(nc, bool))
        except StepFailed as exc:
            raise SimulationFailed(f"initial elastic state: {exc}", self.result) from None
        m.commit()
        m.u_ref = m.u.x.array.copy()  # the state once the cavern exists: surface displacement is measured from it
        V = m.volumes()
        for i, c in enumerate(self.caverns):
            self.mass[i] = c.brine.relative_density(self.P[i], self._brine_T(i, 0.0)) * V[i]
        self.mass0 = self.mass.copy()
        self._record(0.0, 0, [])
        if self.on_output is not None:
            self.result.outputs.append((0.0, self.on_output(0.0)))

    def run(self, *, resume: bool = True, stop_after: int | None = None) -> SimulationResult:
        if not (resume and self.try_resume()):
            self.initial_state()
        tc = self.tc
        nc = len(self.caverns)
        ops = [c.operator for c in self.caverns]
        with Progress(self.label, comm=self.progress_comm or self.comm, t_start=self.t / SECONDS_PER_YEAR,
                      t_end=tc.end / SECONDS_PER_YEAR) as progress:
            self._march(tc, nc, ops, progress, stop_after)
        return self.result

    def _solve(self, dt: float, plans, free, P_try):
        """One implicit step of length dt from the committed state: (result, brine steps)."""
        steps = [self._brine_step(i, self.t + dt, dt, plans[i].q_out) for i in range(len(self.caverns))]
        self._set_thermal(dt)
        res = self.model.solve_step(dt, P_try, free, lambda i, P, V: steps[i].residual(P, V))
        return res, steps

    def _crossings(self, ops, P_new) -> dict[int, tuple[float, float]]:
        out = {}
        for i, op in enumerate(ops):
            c = op.crossing(self.P[i], P_new[i])
            if c is not None:
                out[i] = c
        return out

    def _locate_event(self, ops, plans, free, P_try, dt_hi, res_hi, steps_hi, cross_hi):
        """Shorten a step that went past a CBBO threshold until the end pressure is within
        the operator's tolerance of it (regula falsi with the Illinois modification on the
        bracket [0, dt_hi]; at dt = 0 the pressure is the start pressure). Independent of
        ``dt_min``. Returns (dt, result, brine steps) of the accepted, converged step."""
        tc = self.tc
        lo, P_lo = 0.0, self.P.copy()
        hi, P_hi = dt_hi, res_hi.pressures.copy()
        side = 0  # Illinois: which end was kept twice in a row
        w_lo = w_hi = 1.0
        for _ in range(60):
            # the cavern whose threshold is crossed first (linear estimate) decides the step
            def frac(i):
                target = cross_hi[i][0]
                return (target - P_lo[i]) / (P_hi[i] - P_lo[i]) if P_hi[i] != P_lo[i] else 0.0

            i = min(cross_hi, key=frac)
            target, tol = cross_hi[i]
            g_lo, g_hi = (P_lo[i] - target) * w_lo, (P_hi[i] - target) * w_hi
            x = g_lo / (g_lo - g_hi) if g_lo != g_hi else 0.5
            x = min(max(x, 1e-3), 1 - 1e-3)
            dt = lo + x * (hi - lo)
            self.model.rollback()
            try:
                res, steps = self._solve(dt, plans, free, P_try)
            except StepFailed:
                self.result.failed_steps += 1
                hi_fail = dt  # shorten towards the converged side and try again
                w_lo = w_hi = 1.0
                hi = hi_fail
                P_hi = P_lo + (P_hi - P_lo) * x  # linear guess for the bracket end
                continue
            self.result.event_solves += 1
            cross = self._crossings(ops, res.pressures)
            if not cross:
                if abs(res.pressures[i] - target) <= tol or hi - lo <= 1e-9 * dt_hi:
                    return dt, res, steps
                lo, P_lo = dt, res.pressures.copy()
                w_hi = 0.5 if side == -1 else 1.0
                w_lo, side = 1.0, -1
            else:
                hi, P_hi, cross_hi = dt, res.pressures.copy(), cross
                w_lo = 0.5 if side == 1 else 1.0
                w_hi, side = 1.0, 1
        self.result.failed = (f"t = {self.t / SECONDS_PER_YEAR:.6g} yr: a CBBO threshold could not be located within "
                              f"its tolerance (step bracket {lo:.3g} to {hi:.3g} s)")
        raise SimulationFailed(self.result.failed, self.result)

    def _next_dt(self, dt: float, dP: np.ndarray, free: np.ndarray) -> float:
        """Grow the step by ``growth``, but aim a sealed cavern's pressure change at 0.9 dp_max
        (a step predicted to exceed dp_max would only be rejected and retried)."""
        nxt = dt * self.tc.growth
        for i in np.flatnonzero(free):
            if dP[i] != 0:
                nxt = min(nxt, max(dt * 0.9 * self.tc.dp_max / abs(dP[i]), self.tc.dt_min))
        return nxt

    def _march(self, tc, nc, ops, progress, stop_after):
        while self.t < tc.end * (1 - 1e-12):
            events = [op.begin_step(self.t, self.P[i]) for i, op in enumerate(ops)]
            if any(events):
                self.dt = tc.dt_min
            if any(events) or self._after_event:
                # the pressure load jumps: a tangent from before the event (often of a long,
                # creep-softened step) would fail or crawl; start the step with a fresh one
                self.model.reset_tangent()
            targets = [s for op in ops for s in op.schedule()] + self.outputs
            nxt = min([s for s in targets if s > self.t * (1 + 1e-12) + 1e-6] + [tc.end])
            dt = min(self.dt, tc.dt_max, nxt - self.t, min(op.max_dt() for op in ops))
            plans = [op.plan(self.P[i]) for i, op in enumerate(ops)]
            during = [op.activity for op in ops]
            free = np.array([p.free for p in plans])
            P_try = np.array([p.pressure for p in plans])
            for attempt in range(tc.max_cutbacks + 1):
                try:
                    res, steps = self._solve(dt, plans, free, P_try)
                except StepFailed as exc:
                    self.result.failed_steps += 1
                    log.warning("t = %.4g yr: step of %.3g s failed (%s); retrying smaller", self.t / SECONDS_PER_YEAR, dt, exc)
                    dt = dt / 4
                    continue
                retry = None
                for i in np.flatnonzero(free):
                    dP = abs(res.pressures[i] - self.P[i])
                    if dP > tc.dp_max and dt > tc.dt_min * 1.0001:
                        retry = min(retry or np.inf, max(tc.dt_min, dt * 0.8 * tc.dp_max / dP))
                if retry is not None and retry < dt:
                    self.result.rejected_steps += 1
                    self.model.rollback()
                    dt = retry
                    continue
                break
            else:
                self.result.failed = (
                    f"time step at t = {self.t / SECONDS_PER_YEAR:.6g} yr did not converge after "
                    f"{tc.max_cutbacks} cut-backs (last dt = {dt:.3g} s)"
                )
                raise SimulationFailed(self.result.failed, self.result)
            cross = self._crossings(ops, res.pressures)
            if cross:
                dt, res, steps = self._locate_event(ops, plans, free, P_try, dt, res, steps, cross)
            # a cavern held at its leak-off cap whose balance now needs brine to flow back in
            # (creep no longer squeezes it out) is sealed again and the step redone
            back = [i for i in range(nc) if plans[i].leak and steps[i].outflow(res.pressures[i], res.volumes[i])[0] < 0]
            if back:
                self.model.rollback()
                for i in back:
                    ops[i].uncap()
                self._after_event = True
                continue
            self.model.commit()
            for i in range(nc):
                st = steps[i]
                P, V = res.pressures[i], res.volumes[i]
                rho = st.brine.relative_density(P, st.T)
                if free[i]:
                    out, perm = plans[i].q_out * dt, st.perm_coef * (P + st.perm_offset) * dt
                else:
                    out, perm = st.outflow(P, V)
                if plans[i].leak:
                    self.leaked[i] += out
                elif out >= 0:
                    self.bled[i] += out
                else:
                    self.injected[i] -= out
                self.permeated[i] += perm
                self.mass_out[i] += rho * (out + perm)
                self.mass[i] = rho * V
            for h in self.heat:
                if h is not None:
                    h.commit(dt)
            dP, self.P = res.pressures - self.P, res.pressures.copy()
            self.t += dt
            self.step += 1
            ev = [op.end_step(self.P[i], dt) for i, op in enumerate(ops)]
            names = ["+".join(([e] if e else []) + op.scheduled_at(self.t)) for e, op in zip(ev, ops)]
            self._record(dt, res.iterations, names, during)
            self._after_event = any(ev)
            self.dt = tc.dt_min if any(ev) else self._next_dt(dt, dP, free)
            while self.iout < len(self.outputs) and self.t >= self.outputs[self.iout] * (1 - 1e-9):
                if self.on_output is not None:
                    self.result.outputs.append((self.t, self.on_output(self.t)))
                self.iout += 1
            self.result.steps = self.step
            progress.update(t=self.t / SECONDS_PER_YEAR)
            if tc.checkpoint_every and self.step % tc.checkpoint_every == 0:
                # a resumed run starts with a fresh tangent: so does the uninterrupted one
                self.model.reset_tangent()
                self.save_checkpoint()
            if stop_after is not None and self.step >= stop_after:
                self.save_checkpoint()
                raise Interrupted(f"stopped after {self.step} steps")

    def remove_checkpoint(self):
        if self.ckdir is not None:
            self.comm.Barrier()
            p = self._ck_path()
            if p.exists():
                p.unlink()
            self.comm.Barrier()
            if self.comm.rank == 0 and self.ckdir.exists() and not any(self.ckdir.iterdir()):
                self.ckdir.rmdir()
