"""Line-of-sight geometry. The sign convention is written down here once.

Frame: East-North-Up (ENU), up positive, metres.

Line of sight (LOS): the unit vector ``e`` points **from the ground towards the
satellite**. A LOS displacement ``d = e · u`` is therefore **positive when the ground
moves towards the satellite** (uplift, mostly) and negative for subsidence.

Angles (degrees in every public function):

- ``incidence``: angle between the local vertical and the LOS at the target (0 = nadir).
- ``heading``: flight direction of the satellite, clockwise from north
  (Sentinel-1 ascending ≈ −12°, descending ≈ 192° at mid latitudes).
- The radar looks to the **right** of the flight direction (Sentinel-1, TerraSAR-X, ...).
  Pass ``look="left"`` for a left-looking system.
- ``los_azimuth`` (MintPy ``azimuthAngle``): azimuth of the ground→satellite vector
  measured from north, **anticlockwise** positive.

For a right-looking radar::

    e = (−sin θi cos θh,  sin θi sin θh,  cos θi)

Sentinel-1 at θi = 39°: ascending (θh = −12°) e ≈ (−0.616, −0.131, 0.777); descending
(θh = 192°) e ≈ (+0.616, −0.131, 0.777).
"""

from __future__ import annotations

import numpy as np

#: default Sentinel-1 headings (degrees clockwise from north) used when only the pass is known
S1_HEADING = {"ascending": -12.0, "descending": 192.0}


def los_from_heading(incidence, heading, *, look: str = "right") -> np.ndarray:
    """Unit LOS vectors (…, 3) in ENU, ground → satellite, from incidence and heading [deg]."""
    inc = np.deg2rad(np.asarray(incidence, dtype=float))
    hd = np.deg2rad(np.asarray(heading, dtype=float))
    inc, hd = np.broadcast_arrays(inc, hd)
    s = 1.0 if look == "right" else -1.0
    if look not in ("right", "left"):
        raise ValueError(f"look must be 'right' or 'left', got {look!r}")
    e = np.stack([-s * np.sin(inc) * np.cos(hd), s * np.sin(inc) * np.sin(hd), np.cos(inc)], axis=-1)
    return e


def los_from_azimuth(incidence, los_azimuth) -> np.ndarray:
    """Unit LOS vectors from incidence and the MintPy ``azimuthAngle`` (ground→satellite
    azimuth, from north, anticlockwise positive) [deg]."""
    inc = np.deg2rad(np.asarray(incidence, dtype=float))
    az = np.deg2rad(np.asarray(los_azimuth, dtype=float))
    inc, az = np.broadcast_arrays(inc, az)
    return np.stack([-np.sin(inc) * np.sin(az), np.sin(inc) * np.cos(az), np.cos(inc)], axis=-1)


def normalise_los(east, north, up) -> np.ndarray:
    """Given LOS components (e.g. EGMS ``los_east/los_north/los_up``) → unit vectors that
    point towards the satellite (flipped where ``up`` < 0, i.e. given ground-wards)."""
    e = np.stack([np.asarray(east, float), np.asarray(north, float), np.asarray(up, float)], axis=-1)
    n = np.linalg.norm(e, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = e / n
    flip = e[..., 2] < 0
    e[flip] *= -1.0
    return e


def project(los, ux, uy, uz) -> np.ndarray:
    """LOS displacement ``e · u``. ``los`` is (np, 3); ``u*`` are (np,) or (np, nt)."""
    los = np.asarray(los, dtype=float)
    ux, uy, uz = (np.asarray(a, dtype=float) for a in (ux, uy, uz))
    if ux.ndim == 2:
        return los[:, 0:1] * ux + los[:, 1:2] * uy + los[:, 2:3] * uz
    return los[..., 0] * ux + los[..., 1] * uy + los[..., 2] * uz


def incidence_heading(los) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`los_from_heading` (right-looking): (incidence, heading) in degrees."""
    los = np.asarray(los, dtype=float)
    inc = np.degrees(np.arccos(np.clip(los[..., 2], -1, 1)))
    hd = np.degrees(np.arctan2(los[..., 1], -los[..., 0]))
    return inc, hd


def pass_of(los) -> str:
    """'ascending' or 'descending' from the mean east component (right-looking radar)."""
    return "ascending" if float(np.nanmean(np.asarray(los)[..., 0])) < 0 else "descending"
