"""ED/ES keyframe detection: per-frame curves and keyframe indices for videos of any length."""
