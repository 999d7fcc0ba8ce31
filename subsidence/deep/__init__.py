"""Deep reservoir compaction → surface displacement (semi-analytical superposition)."""
