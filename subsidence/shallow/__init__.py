"""Shallow, groundwater-driven subsidence and its coupling with deep subsidence.

One module per process of the chain (the Atlans.jl shape), each with swappable
implementations and a null implementation when the process is switched off:

1. :mod:`~subsidence.shallow.deep`             deep subsidence at the site (none | series | deep case)
2. :mod:`~subsidence.shallow.water_management` ditch (surface-water) level rules
3. :mod:`~subsidence.shallow.groundwater`      phreatic level between parallel ditches
   (transient FE cross-section, or a lumped reservoir), GLG/GHG
4. :mod:`~subsidence.shallow.impact`           impact factors (groundwater vs ditch-level lowering)
5. :mod:`~subsidence.shallow.column`           layered soil column: Terzaghi consolidation,
   isotache a-b-c creep, peat oxidation
6. :mod:`~subsidence.shallow.chain`            the chain for a set of points and the totals

Forcing readers (KNMI precipitation / Makkink evaporation) are in
:mod:`~subsidence.shallow.forcing`; closed-form solutions used by the tests in
:mod:`~subsidence.shallow.analytic`. Everything inside is SI (m, s, Pa, N/m³); the
vertical is elevation (m, up positive) unless a name says ``depth``.
"""
