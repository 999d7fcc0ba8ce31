"""PETSc solver presets and time stepping."""
