"""What every echolab LightningModule shares."""

from __future__ import annotations

import lightning as L

from echolab.checkpoints import read_header


class EcholabTask(L.LightningModule):
    """Adds checkpoint restoring that never downloads pretrained weights again.

    A model trained from ImageNet weights keeps `pretrained: true` in its hyper-parameters; the
    checkpoint already holds the trained weights, so rebuilding must not fetch the ImageNet ones
    (which would fail offline and waste time online).
    """

    @classmethod
    def load_from_checkpoint(cls, checkpoint_path, map_location=None, **kwargs):
        if "model" not in kwargs:
            saved = read_header(checkpoint_path)["hyper_parameters"]["model"]
            kwargs["model"] = {**saved, "pretrained": False} if "pretrained" in saved else saved
        return super().load_from_checkpoint(checkpoint_path, map_location=map_location, **kwargs)
