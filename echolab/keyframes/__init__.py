"""Keyframe (ED/ES) inference pieces shared by training, evaluation, prediction and the benchmark."""
