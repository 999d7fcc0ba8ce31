"""Small builders for deep cases in tests."""

import copy

DISC = {
    "name": "disc-test",
    "model": {"method": "analytic", "kernel": "geertsma", "poisson_ratio": 0.25},
    "reservoirs": [
        {
            "name": "disc",
            "shape": {"type": "disc", "center": [0.0, 0.0], "radius": 2000.0},
            "depth": 3000.0,
            "thickness": 100.0,
            "compaction": {"law": "linear", "cm": 1.0e-10},
            "pressure_change": {"time": [0.0, 10.0], "value": [0.0, -1.0e7]},
        }
    ],
    "output": {
        "times": [10.0],
        "grid": {"x": [-10000.0, 10000.0, 201], "y": [-10000.0, 10000.0, 201]},
        "points": {"name": ["centre", "r1000", "r2735"], "x": [0.0, 1000.0, 2735.0], "y": [0.0, 0.0, 0.0]},
    },
}


def disc_case(**changes):
    d = copy.deepcopy(DISC)
    for path, value in changes.items():
        node = d
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        if value is None:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return d
