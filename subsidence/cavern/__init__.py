"""Salt caverns: creep of rock salt, cavern pressure and brine balance, operations,
stability indicators (``kind = "cavern"`` studies; see docs/caverns.md).

Modules: :mod:`material` (constitutive law at integration points), :mod:`analytic`
(closed-form cavity solutions), :mod:`geometry` (gmsh meshes), :mod:`model` (FE model),
:mod:`brine` (brine state and mass balance), :mod:`heat` (brine heat by conduction in the
salt), :mod:`operations` (scenarios, leak-off cap),
:mod:`indicators` (dilatancy, tension, pillars), :mod:`surface` (surface displacement from
the t = 0 state, bowl volume), :mod:`simulate`
(time integration, checkpoints).
"""
