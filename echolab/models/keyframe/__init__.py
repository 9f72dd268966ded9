"""Keyframe (ED/ES) models; importing this package registers them under task="keyframe"."""

from echolab.models.keyframe import cnn3d_lstm, resnet_lstm, resnet_vst, vit_keyframe  # noqa: F401
from echolab.models.keyframe.base import KeyframeModel

__all__ = ["KeyframeModel"]
