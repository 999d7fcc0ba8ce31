"""Operation scenarios of one cavern: open well, shut-in, CBBO, constant pressure, filling.

A cavern follows a list of :class:`Phase` s (each from its ``start`` time on). The
:class:`Operator` tells the integrator, for every step, whether the cavern pressure is
imposed (``fixed``) or an unknown closed by the brine mass balance (``free``, with an
imposed well out-flow rate), says whether the end-of-step pressure went past a CBBO
threshold (:meth:`Operator.crossing`; the integrator then locates the event in time),
and names the events (pressure changes) after which the time step is reset to its minimum.

Modes (pressures are at the casing shoe, Pa):

- ``open``: brine column to surface, P = wellhead_pressure + γ_brine · shoe depth.
- ``shut_in``: sealed, no out-flow; pressure from the mass balance.
- ``cbbo`` with ``p_high``/``p_low``: sealed until P reaches p_high, then bleed at
  ``rate`` (m³/s at cavern conditions) until P falls to p_low; without ``rate`` the
  pressure is dropped to p_low in one short step ("fast").
- ``cbbo`` with ``interval``/``volume``: every ``interval`` release ``volume`` at ``rate``
  (default: the volume over one day); a release ends early when the cavern pressure is
  back at the brine-column (open-well) pressure, below which the well cannot flow.
- ``pressure``: pressure held at ``pressure`` (brine injected or produced as needed).
- ``fill``: the lost volume is replaced by injection at a held pressure (``pressure``, or
  the pressure at the start of the phase); the injected volume is reported.

Leak-off (``leak_cap``, Pa at the shoe, or None): a *sealed* cavern (``shut_in``, or ``cbbo``
between releases) whose pressure reaches the cap — the minimum principal stress at the
casing shoe less a margin — cannot rise above it: the step is located on the cap like a CBBO
threshold, and from then on the pressure is held at the cap and the brine the mass balance
expels is counted as leaked (fracture/permeation release into the rock). The cavern is sealed
again as soon as holding the cap would need brine to flow back in, and at every new phase.
"""

from __future__ import annotations

import dataclasses

MODES = ("open", "shut_in", "cbbo", "pressure", "fill")


@dataclasses.dataclass(frozen=True)
class Phase:
    start: float
    mode: str
    pressure: float | None = None
    wellhead_pressure: float = 0.0
    p_high: float | None = None
    p_low: float | None = None
    interval: float | None = None
    volume: float | None = None
    rate: float | None = None

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}")
        if self.mode == "cbbo":
            by_p = self.p_high is not None and self.p_low is not None
            by_v = self.interval is not None and self.volume is not None
            if by_p == by_v:
                raise ValueError("cbbo needs either p_high and p_low, or interval and volume")
            if by_p and not self.p_low < self.p_high:
                raise ValueError("cbbo needs p_low < p_high")
        if self.mode == "pressure" and self.pressure is None:
            raise ValueError("mode 'pressure' needs a pressure")

    @property
    def periodic(self) -> bool:
        return self.mode == "cbbo" and self.interval is not None


@dataclasses.dataclass
class Plan:
    free: bool
    pressure: float  # imposed value, or initial guess when free
    q_out: float = 0.0
    leak: bool = False  # held at the leak-off cap: the out-flow is leaked, not bled


DAY = 86400.0


class Operator:
    """State machine of one cavern's operation. ``state()``/``load()`` for checkpoints."""

    def __init__(self, phases: list[Phase], *, brine_gradient: float, shoe_depth: float, tol: float = 1e-3,
                 leak_cap: float | None = None):
        if not phases or phases[0].start != 0.0:
            raise ValueError("the first phase must start at time 0")
        self.phases = sorted(phases, key=lambda p: p.start)
        self.gamma = brine_gradient
        self.shoe_depth = shoe_depth
        self.tol = tol
        self.iphase = -1
        self.status = "sealed"  # sealed | bleeding | drop
        self.remaining = 0.0  # volume still to release (periodic)
        self.next_release = None
        self.held = None  # pressure held by 'fill' without explicit pressure
        self.releases = 0  # CBBO releases started so far
        self.leak_cap = leak_cap
        self.capped = False  # held at the leak-off cap
        self.cap_held = None  # the pressure held while capped: the one reached at the event (within tolerance of the cap)
        self.p_prev = None  # pressure at the end of the last step

    # -- checkpoint -------------------------------------------------------------------
    def state(self) -> dict:
        return {k: getattr(self, k) for k in ("iphase", "status", "remaining", "next_release", "held", "releases", "capped", "cap_held", "p_prev",
                                              "leak_cap")}  # the cap moves with leak_off.criterion = "wall"

    def load(self, st: dict) -> None:
        for k, v in st.items():
            setattr(self, k, v)

    # -- pressures --------------------------------------------------------------------
    def open_pressure(self, ph: Phase | None = None) -> float:
        ph = ph or self.phases[0]
        return ph.wellhead_pressure + self.gamma * self.shoe_depth

    def initial_pressure(self) -> float:
        ph = self.phases[0]
        if ph.mode in ("pressure", "fill") and ph.pressure is not None:
            return ph.pressure
        return self.open_pressure(ph)

    @property
    def phase(self) -> Phase:
        return self.phases[self.iphase]

    def schedule(self) -> list[float]:
        """Times the step must land on (phase starts and pending releases)."""
        out = [p.start for p in self.phases]
        if self.next_release is not None:
            out.append(self.next_release)
        return out

    def begin_step(self, t: float, P: float) -> bool:
        """Enter the phase/release due at time t; True if that is an event."""
        event = False
        k = max(i for i, p in enumerate(self.phases) if p.start <= t * (1 + 1e-12) + 1e-9)
        if k != self.iphase:
            self.iphase = k
            self.status, self.remaining, self.held = "sealed", 0.0, None
            self.capped = False
            ph = self.phase
            self.next_release = ph.start + ph.interval if ph.periodic else None
            if ph.mode == "fill":
                self.held = ph.pressure if ph.pressure is not None else P
            event = True
        ph = self.phase
        if ph.periodic and self.next_release is not None and t >= self.next_release * (1 - 1e-12) - 1e-6:
            self.status = "bleeding"
            self.remaining = ph.volume
            self.next_release += ph.interval
            self.releases += 1
            event = True
        return event

    def max_dt(self) -> float:
        ph = self.phase
        if self.status == "bleeding" and ph.periodic:
            return self.remaining / self._rate()
        return float("inf")

    def _rate(self) -> float:
        ph = self.phase
        if ph.rate is not None:
            return ph.rate
        return ph.volume / DAY

    def plan(self, P: float) -> Plan:
        base = self._plan(P)
        if self.capped and self._sealed_plan(base):
            # held at the pressure the event reached (within the tolerance of the cap): holding the
            # nominal cap instead would compress the brine in the first, short step after it
            return Plan(False, self.cap_held, leak=True)
        return base

    @staticmethod
    def _sealed_plan(plan: Plan) -> bool:
        return plan.free and plan.q_out == 0.0

    @property
    def leak_tol(self) -> float:
        """Tolerance of the leak-off event [Pa]: ``tol`` × the cap."""
        return self.tol * self.leak_cap

    def uncap(self) -> None:
        """Seal again (holding the cap would need brine to flow back into the cavern)."""
        self.capped = False

    def _plan(self, P: float) -> Plan:
        ph = self.phase
        if ph.mode == "open":
            return Plan(False, self.open_pressure(ph))
        if ph.mode == "pressure":
            return Plan(False, ph.pressure)
        if ph.mode == "fill":
            return Plan(False, self.held)
        if ph.mode == "shut_in":
            return Plan(True, P)
        # cbbo
        if self.status == "drop":
            return Plan(False, ph.p_low)
        if self.status == "bleeding":
            return Plan(True, P, q_out=self._rate())
        return Plan(True, P)

    def crossing(self, P_old: float, P_new: float) -> tuple[float, float] | None:
        """(threshold, tolerance) [Pa] if a step from ``P_old`` to ``P_new`` went past the
        CBBO threshold of the current state by more than the tolerance, else None.

        The integrator then shortens the step until the end pressure lies within the
        tolerance of the threshold (event location, independent of ``dt_min``). The
        tolerance is ``tol`` × the band (p_high − p_low), or ``tol`` × the brine-column
        pressure for the floor that ends a periodic release."""
        cap = None
        if (self.leak_cap is not None and not self.capped and self._sealed_plan(self._plan(P_old))
                and P_new > self.leak_cap + self.leak_tol):
            cap = (self.leak_cap, self.leak_tol)
        cb = self._cbbo_crossing(P_old, P_new)
        if cap is None or cb is None:
            return cap or cb
        return min(cap, cb)  # the lower threshold is reached first

    def _cbbo_crossing(self, P_old: float, P_new: float) -> tuple[float, float] | None:
        ph = self.phase
        if ph.mode != "cbbo" or P_new == P_old:
            return None
        if ph.periodic:
            floor = self.open_pressure(ph)
            if self.status == "bleeding" and P_new < floor * (1 - self.tol):
                return floor, self.tol * floor
            return None
        span = ph.p_high - ph.p_low
        if self.status == "sealed" and P_new > ph.p_high + self.tol * span:
            return ph.p_high, self.tol * span
        if self.status == "bleeding" and P_new < ph.p_low - self.tol * span:
            return ph.p_low, self.tol * span
        return None

    @property
    def activity(self) -> str:
        """What the cavern does in the coming step: open, sealed, bleeding, drop or held."""
        ph = self.phase if self.iphase >= 0 else self.phases[0]
        if self.capped:
            return "leaking"
        if ph.mode == "open":
            return "open"
        if ph.mode in ("pressure", "fill"):
            return "held"
        if ph.mode == "shut_in":
            return "sealed"
        return self.status

    def scheduled_at(self, t: float) -> list[str]:
        """Schedule events due at time t (end of a step): a phase start, a periodic release."""
        out = []
        if any(abs(p.start - t) <= 1e-12 * max(t, 1.0) + 1e-6 for p in self.phases[1:]):
            out.append("phase")
        if self.next_release is not None and abs(self.next_release - t) <= 1e-12 * max(t, 1.0) + 1e-6:
            out.append("release")
        return out

    def end_step(self, P_new: float, dt: float) -> str:
        """Update the state after an accepted step; the name of the pressure event that
        starts (``p_high``: a release starts; ``p_low``, ``volume``, ``floor``: it ends;
        ``drop``: the fast drop is done; ``leak_off``: the cap is reached), or "" when none does."""
        sealed = not self.capped and self._sealed_plan(self._plan(P_new))
        rising = self.p_prev is None or P_new > self.p_prev
        self.p_prev = P_new
        ev = self._cbbo_end_step(P_new, dt)
        # (rising: a cavern just sealed again below the cap, its pressure falling, stays sealed)
        if (not ev and sealed and rising and self.leak_cap is not None and P_new >= self.leak_cap - self.leak_tol):
            self.capped, self.cap_held = True, P_new
            return "leak_off"
        return ev

    def _cbbo_end_step(self, P_new: float, dt: float) -> str:
        ph = self.phase
        if ph.mode != "cbbo":
            return ""
        if ph.periodic:
            if self.status == "bleeding":
                self.remaining -= self._rate() * dt
                # the well stops flowing when the cavern is back at the brine-column pressure
                if self.remaining <= 1e-9 * max(ph.volume, 1.0):
                    self.status, self.remaining = "sealed", 0.0
                    return "volume"
                if P_new <= self.open_pressure(ph) * (1 + self.tol):
                    self.status, self.remaining = "sealed", 0.0
                    return "floor"
            return ""
        span = ph.p_high - ph.p_low
        if self.status == "drop":
            self.status = "sealed"
            return "drop"
        if self.status == "sealed" and P_new >= ph.p_high - self.tol * span:
            self.status = "bleeding" if ph.rate is not None else "drop"
            self.releases += 1
            return "p_high"
        if self.status == "bleeding" and P_new <= ph.p_low + self.tol * span:
            self.status = "sealed"
            return "p_low"
        return ""
