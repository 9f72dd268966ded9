"""Training losses and evidence fusion: evidential.py (Re-EDL, classic EDL, CE), fusion.py (per-video fusion)."""
