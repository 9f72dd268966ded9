"""Frozen-feature probes of video encoders: what a pretrained encoder knows without fine-tuning.

features.py turns videos into per-video vectors (an encoder's CLS and mean token, or raw pixels);
arms.py names where the vectors come from (a pretraining checkpoint, a random-init encoder, raw
pixels); knn.py and linear.py are the two probes; targets.py what they predict (view, EF category,
EF); perturb.py the test-time acoustic perturbations of the robustness check; command.py
`echolab probe`, embed.py `echolab embed`. Protocol and numbers: docs/probes.md.
"""
