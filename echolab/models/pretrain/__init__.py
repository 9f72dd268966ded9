"""Pretraining encoders; importing this package registers the video ViT under task="pretrain"."""

from echolab.models.pretrain.video_vit import VideoViT

__all__ = ["VideoViT"]
