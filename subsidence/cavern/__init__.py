"""Salt caverns: creep of rock salt, cavern pressure and brine balance, operations,
stability indicators (``kind = "cavern"`` studies; see docs/caverns.md).

Modules: :mod:`material` (constitutive law at integration points), :mod:`analytic`
(closed-form cavity solutions), :mod:`geometry` (gmsh meshes), :mod:`model` (FE model),
:mod:`brine` (brine state and mass balance), :mod:`operations` (scenarios),
:mod:`indicators` (dilatancy, tension, pillars), :mod:`surface`, :mod:`simulate`
(time integration, checkpoints).
"""
