"""From displacement to damage: building damage categories from a run's surface displacement."""
