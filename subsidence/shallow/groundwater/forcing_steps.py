"""Common pieces of the groundwater models: the result and the step forcing."""

from __future__ import annotations

import dataclasses

import numpy as np

BALANCE_TERMS = ("precipitation", "evapotranspiration", "seepage", "drainage", "runoff", "storage")


@dataclasses.dataclass
class GroundwaterResult:
    """Levels (m, land frame) at ``times`` (s), shaped (nt, nb); cumulative water balance
    terms per unit parcel area (m), same shape: ``precipitation`` and ``seepage`` (upward,
    into the parcel) are gains, ``evapotranspiration``, ``drainage`` (to the ditches) and
    ``runoff`` are losses, ``storage`` is the change of stored water."""

    times: np.ndarray
    mean: np.ndarray
    mid: np.ndarray
    balance: dict[str, np.ndarray]

    def balance_error(self) -> np.ndarray:
        """(gains - losses - storage change) / (sum of absolute fluxes), at the last time."""
        b = {k: v[-1] for k, v in self.balance.items()}
        gains = b["precipitation"] + b["seepage"]
        losses = b["evapotranspiration"] + b["drainage"] + b["runoff"]
        scale = sum(np.abs(b[k]) for k in BALANCE_TERMS if k != "storage")
        return (gains - losses - b["storage"]) / scale


def check_inputs(precip, evap, ditch_level, aquifer_head):
    precip = np.asarray(precip, dtype=float)
    evap = np.asarray(evap, dtype=float)
    nd = precip.size
    if evap.shape != precip.shape:
        raise ValueError("precipitation and evaporation need the same number of days")
    hd = np.asarray(ditch_level, dtype=float)
    if hd.ndim == 1:
        hd = hd[:, None]
    if hd.shape[0] != nd + 1:
        raise ValueError(f"ditch_level needs {nd + 1} rows (the start and the end of every step), got {hd.shape[0]}")
    phi = None
    if aquifer_head is not None:
        phi = np.asarray(aquifer_head, dtype=float)
        if phi.ndim == 1:
            phi = phi[:, None]
        phi = np.broadcast_to(phi, hd.shape)
    return precip, evap, hd, phi
