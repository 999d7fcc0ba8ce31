"""Input/output: run directories, surface grids and points, fields, data readers."""
