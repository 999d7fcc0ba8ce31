"""Phreatic groundwater level in a parcel between parallel ditches.

Two implementations of one interface, ``model.run(forcing, ditch_level, *, aquifer_head=None)
-> GroundwaterResult``:

- :class:`~.lumped.LumpedGroundwater`: one reservoir per parcel (the parcel-mean level) that
  drains to the ditches through the Hooghoudt/Ernst drainage resistance; vectorised over
  many parcels, milliseconds per year.
- :class:`~.fe.CrossSectionGroundwater`: transient FE (dolfinx) model of the vertical
  cross-section between two ditches (half of it, by symmetry): layered anisotropic
  conductivity, partially penetrating ditch with a bed resistance, phreatic storage and
  recharge on the top, seepage through the base.

Both report the parcel-mean and mid-parcel level and a water balance.
"""

from subsidence.shallow.groundwater.forcing_steps import GroundwaterResult
from subsidence.shallow.groundwater.lumped import LumpedGroundwater
from subsidence.shallow.groundwater.parcel import HydroLayer, Parcel

__all__ = ["GroundwaterResult", "HydroLayer", "LumpedGroundwater", "Parcel"]
