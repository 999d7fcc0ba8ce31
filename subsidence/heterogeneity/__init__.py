"""Lateral heterogeneity studies (KEM-47 type): the shape of the subsidence bowl and how it differs
from a reference. :mod:`.bowl` measures bowls; ``subsidence bowl`` compares run directories."""
