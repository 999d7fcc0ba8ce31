"""Subsidence and salt-cavern stability simulation toolkit.

Conventions (written down once, in docs/conventions.md, and tested):
- SI units inside the code (m, Pa, s, K); case files may give unit strings.
- Coordinates East-North-Up; displacement **up positive** (subsidence is negative uz).
- Stress tension positive inside the FE code; pressure / depletion: a pressure *drop*
  is a negative ``pressure_change``.
- Output times are in years since the case's time 0 (``start_date`` if given).
"""

__version__ = "0.1.0"


def __getattr__(name):
    # ``subsidence.run(case, out=None)``: the Python API (subsidence.api.run), loaded on first use.
    # The module subsidence.run is callable and calls it, so both meanings of the name agree.
    if name == "run":
        import importlib

        return importlib.import_module("subsidence.run")
    raise AttributeError(f"module 'subsidence' has no attribute {name!r}")
