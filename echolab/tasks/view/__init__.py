"""View classification: one label (and an uncertainty) per video."""
