"""Self-supervised pretraining (DISCOVR, VideoMAE, V-JEPA) of a video ViT."""
