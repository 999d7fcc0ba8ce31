"""``[calibration]`` of a case file: uncertain parameters, per-point parameters, method.

```toml
[calibration]
method = "es-mda"              # or "least-squares"
ensemble = 100                 # members (es-mda)
assimilations = 4              # N_a, with inflation "equal" (α = N_a) or "geometric"
inflation = "equal"
seed = 1
until = "2017-12-31"           # last observation date used (the rest is held out); default all
offset = "per-point"           # per-point constant offset as a nuisance ("none": data's own reference)
gaps = "drop"                  # points with missing values at calibration epochs: "drop" them (counted), or
                               # "marginalise" the missing values (exact; at most 6000 of them)
noise = { source = "data" }    # "data": estimated from the observations; "model": the keys below
                               # (white_variance, spatial_variance, spatial_range, ... as [validation.noise])

[[calibration.parameters]]
path = "deep.case.reservoirs.groningen.compaction.cm"   # the case-file key (see subsidence.calibration.paths)
name = "cm"                                              # optional short name
prior = "lognormal"                                      # normal | lognormal | uniform | truncated-normal
median = "0.65e-5 1/bar"
sigma_log = 0.3

[[calibration.point_parameters]]
name = "background_rate"       # vertical velocity of each point not explained by the model (up +)
mean = "-2 mm/yr"              # prior of the common mean (hierarchical: all points inform it)
mean_sd = "2 mm/yr"
sd = "1.5 mm/yr"               # spread of the points about the common mean
correlation_length = "1 km"    # exponential spatial correlation of that spread (0: independent)
estimate = ["sd", "correlation_length"]   # optional: estimated from the data (type-II maximum
                               # likelihood at the prior medians), the values above as the start

[[calibration.point_parameters]]
name = "annual"                # an annual cycle per point (cos + sin, vertical), random phases allowed
sd = "1 mm"                    # spread of each coefficient (mean, mean_sd: a cycle common to all points)
correlation_length = 0
```

Per-point parameters enter the observations linearly and are handled exactly (integrated out
of the ES-MDA update, then drawn per member from their conditional distribution).

A per-point parameter with a ``path`` is a *nonlinear* one: a value per observation point of a
soil-column key or of the observation model, which enters the forward run itself:

```toml
[[calibration.point_parameters]]
name = "peat_c"
path = "soil.layers.peat.compression.c"   # the column of each point; its groundwater stays the profile's
prior = "lognormal"            # the marginal prior of every point's value (as for global parameters)
median = 0.02
sigma_log = 0.4
correlation_length = "1 km"    # spatial correlation of the points' normal scores (0: independent)
localisation = "1 km"          # which points' data update a point's value (Gaspari-Cohn taper of
                               # this half-width; "own": its own data only; default: own when the
                               # correlation length is 0, else the correlation length)
```

Supported paths: ``observation.shallow_fraction`` (bounded prior) and ``soil.layers.<layer>.<key>``
with the keys of :data:`COLUMN_FIELDS`. Their normal scores join the ES-MDA state; each point's
score is updated from the data of the points within the localisation (its forward response is
its own column). ES-MDA only.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math

import numpy as np

from subsidence.calibration.priors import KINDS, Prior
from subsidence.config.table import Table
from subsidence.insar.noise import NoiseModel
from subsidence.units import UnitError, _registry

#: per-point parameter → (SI unit, meaning, its terms: one coefficient per point each)
POINT_PARAMETERS = {
    "background_rate": ("m/s", "vertical background velocity (up positive)", ("background_rate",)),
    "annual": ("m", "annual cycle of each point, vertical: cos and sin coefficients (peak uplift on 1 January for cos)",
               ("annual_cos", "annual_sin")),
}
METHODS = ("es-mda", "least-squares")
#: hyperparameters of a per-point prior that ``estimate`` may name
HYPERPARAMETERS = ("sd", "correlation_length")
#: parameters of the observation model rather than of the case file: path → (meaning, support)
OBSERVATION_PARAMETERS = {
    "observation.shallow_fraction": (
        "fraction of the modelled shallow (soil column) motion that the product's scatterers follow: "
        "1 for scatterers on the soil surface, 0 for ones founded below the soft layers (on piles)", (0.0, 1.0)),
}


#: soil-column keys that may vary per point (``soil.layers.<layer>.<key>``) → (the field of
#: :class:`~subsidence.shallow.column.ColumnLayer` it sets, the factor from the case file's bare
#: number to that field's SI value, the unit of a bare number)
COLUMN_FIELDS = {
    "thickness": ("thickness", 1.0, "m"),
    "ocr": ("ocr", 1.0, None),
    "pop": ("pop", 1e3, "kPa"),
    "compression.a": ("compression.a", 1.0, None),
    "compression.b": ("compression.b", 1.0, None),
    "compression.c": ("compression.c", 1.0, None),
    "oxidation.alpha": ("oxidation.alpha", 1.0, "kg/m^3/day"),
}

#: the bare unit of each ColumnLayer field
COLUMN_BARE = {attr: bare for attr, _, bare in COLUMN_FIELDS.values()}


@dataclasses.dataclass
class PointFieldSpec:
    """A nonlinear per-point parameter: one value per observation point of a case-file key."""

    name: str
    path: str
    prior: Prior  # marginal prior of each point's value, in the prior's unit
    unit: str | None
    correlation_length: float  # m, of the normal scores
    localisation: float  # m: Gaspari-Cohn half-width; 0: the point's own data only; inf: none
    key: str
    #: soil-column parameter: (layer name, field of ColumnLayer, factor to SI); None: observation model
    column: tuple | None = None

    def si(self, x):
        """Values in the prior's unit → the SI value of the column field (or the bare fraction)."""
        x = np.asarray(x, float)
        if self.column is None:
            return x
        if self.unit is not None:  # to the case file's bare unit first
            x = np.asarray(_registry().Quantity(x, self.unit).to(COLUMN_BARE[self.column[1]]).magnitude, float)
        return x * self.column[2]


@dataclasses.dataclass
class ParamSpec:
    name: str
    path: str
    prior: Prior
    unit: str | None  # unit string written back into the case file (None: bare numbers)
    key: str  # calibration.parameters[i], for messages

    @property
    def observation(self) -> bool:
        """A parameter of the observation model (``observation.…``), not a key of the case file."""
        return self.path.startswith("observation.")

    def case_value(self, x: float):
        """The value as written into the case file."""
        return float(x) if self.unit is None else f"{float(x)!r} {self.unit}"


@dataclasses.dataclass
class PointParamSpec:
    name: str
    mean: float  # SI
    mean_sd: float
    sd: float
    correlation_length: float  # m
    unit: str  # SI unit
    #: hyperparameters estimated from the data (type-II maximum likelihood) rather than taken as given
    estimate: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        """The coefficients per point this parameter adds (``annual``: cos and sin)."""
        return POINT_PARAMETERS[self.name][2]


@dataclasses.dataclass
class CalibrationConfig:
    method: str = "es-mda"
    ensemble: int = 100
    assimilations: int = 4
    inflation: str = "equal"
    seed: int = 1
    until: _dt.date | None = None
    offset: str = "per-point"
    #: points with missing values over the calibration epochs: "drop" or "marginalise"
    gaps: str = "drop"
    noise_source: str = "data"
    noise: NoiseModel | None = None
    parameters: list[ParamSpec] = dataclasses.field(default_factory=list)
    point_parameters: list[PointParamSpec] = dataclasses.field(default_factory=list)
    #: nonlinear per-point parameters (``point_parameters`` with a ``path``)
    point_fields: list[PointFieldSpec] = dataclasses.field(default_factory=list)
    max_iterations: int = 20  # least-squares


def _quantity(t: Table, name: str, default=None):
    """(magnitude, unit string or None) as written; bare numbers keep no unit."""
    v = t.raw(name, default)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise t.error(name, "expected a number or a string with a unit")
    if isinstance(v, (int, float)):
        return float(v), None
    try:
        q = _registry().Quantity(v.strip())
    except Exception as exc:
        raise t.error(name, f"cannot parse {v!r} as a quantity ({exc})") from None
    if not hasattr(q, "units"):
        return float(q), None
    return float(q.magnitude), str(q.units) if not q.dimensionless else None


def _in_unit(t: Table, name: str, value, unit: str | None) -> float:
    """A spread or bound in the unit of the prior's centre."""
    mag, u = value
    if u == unit or u is None and unit is None:
        return mag
    if u is None or unit is None:
        raise t.error(name, f"give it in the same kind of unit as the prior's centre ({unit or 'a bare number'})")
    try:
        return float(_registry().Quantity(mag, u).to(unit).magnitude)
    except Exception:
        raise t.error(name, f"unit {u!r} is not compatible with {unit!r}") from None


def _prior(t: Table) -> tuple[Prior, str | None, str]:
    """(prior, unit string or None, kind) of a table with ``prior`` and its keys."""
    kind = t.string("prior", choices=KINDS)
    if kind == "normal" or kind == "truncated-normal":
        c = _quantity(t, "mean")
        unit = c[1]
        a, b = c[0], _in_unit(t, "sd", _quantity(t, "sd"), unit)
    elif kind == "lognormal":
        c = _quantity(t, "median")
        unit = c[1]
        a, b = c[0], t.number("sigma_log", gt=0)
    else:
        lo, hi = _quantity(t, "low"), _quantity(t, "high")
        unit = lo[1]
        a, b = lo[0], _in_unit(t, "high", hi, unit)
    low, high = -float("inf"), float("inf")
    if kind == "truncated-normal":
        low = _in_unit(t, "low", _quantity(t, "low"), unit)
        high = _in_unit(t, "high", _quantity(t, "high"), unit)
    try:
        prior = Prior(kind, a, b, low, high)
    except ValueError as exc:
        raise t.error("prior", str(exc)) from None
    return prior, unit, kind


def _check_observation(t: Table, path: str, prior: Prior, unit: str | None, kind: str) -> None:
    """An observation-model parameter: known, bare, with a bounded prior inside its support."""
    a, b, low, high = prior.a, prior.b, prior.low, prior.high
    if path.startswith("observation."):
        if path not in OBSERVATION_PARAMETERS:
            raise t.error("path", f"unknown observation-model parameter {path!r} (known: {', '.join(OBSERVATION_PARAMETERS)})")
        lo_s, hi_s = OBSERVATION_PARAMETERS[path][1]
        if unit is not None:
            raise t.error("prior", f"{path} is a bare number (a fraction), not a quantity in {unit!r}")
        if kind == "uniform":
            sup = (a, b)
        elif kind == "truncated-normal":
            sup = (low, high)
        else:
            raise t.error("prior", f"{path} lies within [{lo_s:g}, {hi_s:g}]: give a bounded prior (uniform or truncated-normal) "
                                   "so that no member leaves it")
        if sup[0] < lo_s or sup[1] > hi_s:
            raise t.error("prior", f"the prior's support [{sup[0]:g}, {sup[1]:g}] leaves [{lo_s:g}, {hi_s:g}] of {path}")


def _param(t: Table, i: int) -> ParamSpec:
    path = t.string("path")
    name = t.string("name", path.split(".")[-1])
    prior, unit, kind = _prior(t)
    _check_observation(t, path, prior, unit, kind)
    t.finish()
    return ParamSpec(name=name, path=path, prior=prior, unit=unit, key=t.path)


def _point_field(t: Table) -> PointFieldSpec:
    """A per-point parameter with a ``path``: a value per point of a column key or the observation model."""
    path = t.string("path")
    name = t.string("name", path.split(".")[-1])
    prior, unit, kind = _prior(t)
    column = None
    if path.startswith("observation."):
        _check_observation(t, path, prior, unit, kind)
    else:
        parts = path.split(".")
        field = ".".join(parts[3:])
        if len(parts) < 4 or parts[:2] != ["soil", "layers"] or field not in COLUMN_FIELDS:
            raise t.error("path", f"{path!r} cannot vary per point: give observation.shallow_fraction or "
                                  f"soil.layers.<layer>.<key> with <key> one of {', '.join(COLUMN_FIELDS)} "
                                  "(values of the soil column; the groundwater model stays the profile's)")
        attr, factor, bare = COLUMN_FIELDS[field]
        if unit is not None:
            try:
                ok = bare is not None and _registry().Quantity(1.0, unit).dimensionality == _registry().Quantity(1.0, bare).dimensionality
            except Exception:
                ok = False
            if not ok:
                raise t.error("prior", f"{path} is {'a bare number' if bare is None else 'in ' + bare}: "
                                       f"a prior in {unit!r} does not fit it")
        column = (parts[2], attr, factor)
        if kind == "normal" and field != "pop":
            raise t.error("prior", f"{path} must stay positive in every member: give a lognormal, uniform or "
                                   "truncated-normal prior")
    corr = t.number("correlation_length", 0.0, unit="m", ge=0)
    loc = t.raw("localisation", None)
    if loc is None:
        localisation = corr
    elif isinstance(loc, str) and loc.strip() in ("own", "none"):
        localisation = 0.0 if loc.strip() == "own" else math.inf
    else:
        localisation = t.number("localisation", unit="m", gt=0)
    t.finish()
    return PointFieldSpec(name=name, path=path, prior=prior, unit=unit, correlation_length=corr,
                          localisation=localisation, key=t.path, column=column)


def _point_param(t: Table) -> PointParamSpec:
    name = t.string("name", choices=tuple(POINT_PARAMETERS))
    unit = POINT_PARAMETERS[name][0]
    bare = "m/yr" if unit == "m/s" else "mm"
    kw = dict(unit=unit, bare=bare)
    corr = t.number("correlation_length", 0.0, unit="m", ge=0)
    est = t.raw("estimate", [])
    if isinstance(est, str):
        est = [est]
    if not isinstance(est, list) or any(e not in HYPERPARAMETERS for e in est) or len(set(est)) != len(est):
        raise t.error("estimate", f"a list of distinct hyperparameters to estimate from the data, each one of "
                                  f"{', '.join(HYPERPARAMETERS)}; got {est!r}")
    spec = PointParamSpec(
        name=name, mean=t.number("mean", 0.0, **kw), mean_sd=t.number("mean_sd", 0.0, ge=0, **kw),
        sd=t.number("sd", gt=0, **kw), correlation_length=corr, unit=unit, estimate=tuple(est))
    t.finish()
    return spec


def parse_calibration(t: Table) -> CalibrationConfig:
    c = CalibrationConfig()
    c.method = t.string("method", "es-mda", choices=METHODS)
    c.ensemble = int(t.number("ensemble", 100, integer=True, ge=4))
    c.assimilations = int(t.number("assimilations", 4, integer=True, ge=1))
    c.inflation = t.string("inflation", "equal", choices=("equal", "geometric"))
    c.seed = int(t.number("seed", 1, integer=True, ge=0))
    c.max_iterations = int(t.number("max_iterations", 20, integer=True, ge=1))
    until = t.raw("until", None)
    if until is not None:
        try:
            c.until = until if isinstance(until, _dt.date) else _dt.date.fromisoformat(str(until))
        except ValueError:
            raise t.error("until", f"not an ISO date (YYYY-MM-DD): {until!r}") from None
    c.offset = t.string("offset", "per-point", choices=("per-point", "none"))
    c.gaps = t.string("gaps", "drop", choices=("drop", "marginalise"))
    nt = t.table("noise", None)
    if nt is not None:
        c.noise_source = nt.string("source", "data", choices=("data", "model"))
        from subsidence.insar.config import parse_noise

        c.noise = parse_noise(nt)
        nt.finish()
    seen = set()
    for i, pt in enumerate(t.tables("parameters", [])):
        p = _param(pt, i)
        if p.name in seen:
            raise pt.error("name", f"two parameters named {p.name!r}")
        seen.add(p.name)
        c.parameters.append(p)
    for pt in t.tables("point_parameters", []):
        p = _point_field(pt) if pt.has("path") else _point_param(pt)
        if p.name in seen:
            raise pt.error("name", f"{p.name!r} given twice")
        seen.add(p.name)
        (c.point_fields if isinstance(p, PointFieldSpec) else c.point_parameters).append(p)
    paths = [p.path for p in c.parameters] + [p.path for p in c.point_fields]
    for p in c.point_fields:
        if paths.count(p.path) > 1:
            raise t.error("point_parameters", f"{p.path} is calibrated both globally and per point (or twice): choose one")
    if c.point_fields and c.method != "es-mda":
        raise t.error("method", "per-point parameters with a path (nonlinear, in the forward run) need method = \"es-mda\"")
    if not c.parameters and not c.point_parameters and not c.point_fields:
        raise t.error("parameters", "nothing to calibrate: give [[calibration.parameters]] or [[calibration.point_parameters]]")
    t.finish()
    return c


__all__ = ["CalibrationConfig", "ParamSpec", "PointFieldSpec", "PointParamSpec", "parse_calibration", "UnitError"]
