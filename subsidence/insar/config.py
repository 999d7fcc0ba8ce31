"""The optional ``[validation]`` table of a case file (read by ``subsidence.config.case``).

.. code-block:: toml

    [validation]
    insar = "../validation/data/nieuwolda/insar_t88_parcels_2015_2018.csv"  # default data file(s)
    format = "auto"            # auto | egms | tudelft | mintpy | generic
    insar_crs = "EPSG:28992"   # CRS of the file's coordinates where the format does not fix it
    unit = "m"                 # generic CSV: m | cm | mm
    component = "los"          # generic CSV / EGMS L3: los | up | east
    pass = "ascending"         # sets the Sentinel-1 heading when the file has none
    heading = -12.0            # degrees clockwise from north (overrides pass)
    incidence = 39.0           # degrees, when the file has no incidence angle
    reference_epoch = "first"  # first | none | YYYY-MM-DD
    reference_point = [245000.0, 580000.0]  # model CRS, m (optional)
    reference_radius = "500 m" # 0: nearest observation point
    match_distance = "1 m"     # observation point ↔ model point
    timeseries_points = ["15825", "5870"]
    offset = "none"            # none | per-point: remove each point's constant offset (nuisance parameter)

    [validation.noise]         # white + exponential (space, time) covariance
    source = "auto"            # auto | data | model | product
    white_variance = "9.49 mm^2"
    spatial_variance = "4.96 mm^2"
    spatial_range = "1.09 km"
    temporal_variance = "4.53 mm^2"
    temporal_range = "0.70 yr"

Bare numbers: variances in mm², ranges in m and years, distances in m, angles in degrees.

``source = "auto"``: the product's σ when the file has one; else the noise model when
``[validation.noise]`` gives any of its parameters; else the noise estimated from the data.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from subsidence.config.table import Table
from subsidence.insar.noise import DUTCH_S1, NoiseModel


@dataclasses.dataclass
class ValidationConfig:
    insar: list[Path] = dataclasses.field(default_factory=list)
    format: str = "auto"
    insar_crs: str | None = None
    unit: str | None = None
    component: str | None = None
    pass_: str | None = None
    heading: float | None = None
    incidence: float | None = None
    reference_epoch: str = "first"
    reference_point: tuple[float, float] | None = None
    reference_radius: float = 0.0
    match_distance: float = 1.0
    timeseries_points: list[str] = dataclasses.field(default_factory=list)
    noise_source: str = "auto"
    noise: NoiseModel = DUTCH_S1
    offset: str = "none"
    noise_given: bool = False  # [validation.noise] gives parameters of the model


def parse_validation(t: Table, case=None) -> ValidationConfig:
    from subsidence.insar.readers import FORMATS

    c = ValidationConfig()
    if t.has("insar"):
        v = t.raw("insar")
        names = [v] if isinstance(v, str) else v
        if not isinstance(names, list) or not all(isinstance(s, str) for s in names):
            raise t.error("insar", "expected a file name or an array of file names")
        c.insar = []
        for i, s in enumerate(names):
            p = Path(s).expanduser()
            c.insar.append(p if p.is_absolute() else t.base_dir / p)
    else:
        t.raw("insar", None)
    c.format = t.string("format", "auto", choices=FORMATS)
    c.insar_crs = t.string("insar_crs", None)
    if c.insar_crs is not None:
        try:
            import pyproj

            pyproj.CRS.from_user_input(c.insar_crs)
        except Exception as exc:
            raise t.error("insar_crs", f"unknown CRS {c.insar_crs!r} ({exc})") from None
    c.unit = t.string("unit", None, choices=("m", "cm", "mm"))
    c.component = t.string("component", None, choices=("los", "up", "east"))
    c.pass_ = t.string("pass", None, choices=("ascending", "descending"))
    c.heading = t.number("heading", None, unit="deg")
    c.incidence = t.number("incidence", None, unit="deg", ge=0, lt=90)
    c.reference_epoch = t.string("reference_epoch", "first")
    if c.reference_epoch not in ("first", "none"):
        import datetime as _dt

        try:
            _dt.date.fromisoformat(c.reference_epoch)
        except ValueError:
            raise t.error("reference_epoch", f"expected 'first', 'none' or a date YYYY-MM-DD, got {c.reference_epoch!r}") from None
    rp = t.array("reference_point", None, unit="m", length=2)
    c.reference_point = None if rp is None else (float(rp[0]), float(rp[1]))
    c.reference_radius = t.number("reference_radius", 0.0, unit="m", ge=0)
    c.match_distance = t.number("match_distance", 1.0, unit="m", ge=0)
    c.timeseries_points = t.strings("timeseries_points", [])
    c.offset = t.string("offset", "none", choices=("none", "per-point"))
    n = t.table("noise", None)
    if n is not None:
        c.noise_source = n.string("source", "auto", choices=("auto", "data", "model", "product"))
        c.noise_given = any(n.has(k) for k in NOISE_KEYS)  # "auto" then uses them when the product has no σ
        c.noise = parse_noise(n)
        n.finish()
    t.finish()
    return c


NOISE_KEYS = ("white_variance", "spatial_variance", "spatial_range", "temporal_variance", "temporal_range")


def parse_noise(n: Table) -> NoiseModel:
    """The noise-model keys of a ``noise`` table (defaults: the Dutch Sentinel-1 values);
    also read by ``[calibration.noise]``."""
    return NoiseModel(
        white_var=n.number("white_variance", DUTCH_S1.white_var, unit="m**2", bare="mm**2", gt=0),
        spatial_var=n.number("spatial_variance", DUTCH_S1.spatial_var, unit="m**2", bare="mm**2", ge=0),
        spatial_range=n.number("spatial_range", DUTCH_S1.spatial_range, unit="m", gt=0),
        temporal_var=n.number("temporal_variance", DUTCH_S1.temporal_var, unit="m**2", bare="mm**2", ge=0),
        temporal_range=n.number("temporal_range", DUTCH_S1.temporal_range, unit="yr", bare="yr", gt=0),
    )


def parse_from_case_text(text: str, *, file: str | Path) -> ValidationConfig | None:
    """The ``[validation]`` table of a case file's text (e.g. ``case.toml`` in a run directory)."""
    import tomllib

    data = tomllib.loads(text)
    if "validation" not in data:
        return None
    return parse_validation(Table({"validation": data["validation"]}, file=file).table("validation"))
