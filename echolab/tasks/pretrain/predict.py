"""`echolab predict` on a pretraining checkpoint: refused, with the commands that do use one."""

from __future__ import annotations

from echolab.errors import EcholabError


def no_predictions(*args, **kwargs):
    """The registry's predict loader and writer for pretraining: an encoder has nothing per video to
    predict, and a made-up prediction would be worse than this error."""
    raise EcholabError(
        "a pretraining checkpoint holds a video encoder, not a predictor: it has no labels to predict. "
        "For per-video features use `echolab embed ckpt=PATH exp=NAME out=FILE.npz`; to score the "
        "features, `echolab probe ckpt=PATH exp=NAME`"
    )
