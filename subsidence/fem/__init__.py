"""Finite-element poro-elastic model of deep compaction (the engine of ``[model] method = "fem"``).

- :mod:`subsidence.fem.elastic` — one-way coupling (prescribed pressure change, elastic solve)
- :mod:`subsidence.fem.biot` / :mod:`subsidence.fem.biot_split` — coupled Biot consolidation
  (monolithic direct / fixed-stress split)
- :mod:`subsidence.fem.config`, :mod:`subsidence.fem.setup`, :mod:`subsidence.fem.study` —
  case-file keys, model layout, the run
- :mod:`subsidence.fem.sampling` — surface sampling of distributed functions
- :mod:`subsidence.fem.reference` — Terzaghi and Mandel series solutions (verification)
"""
