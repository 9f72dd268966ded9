"""Built-in synthetic echocardiography: an echo phantom renderer and writers that save its videos
in the published dataset layouts (EV9V, EchoNet-Dynamic, CSV manifest)."""

from echolab.data.synthetic.manifest import ManifestRow, write_manifest
from echolab.data.synthetic.phantom import GENERATOR_VERSION, SyntheticVideo, render_video
from echolab.data.synthetic.views import MOTION_ONLY_PAIR, VIEW_CLASSES
from echolab.data.synthetic.writers import write_echonet, write_ev9v, write_manifest_dataset

# Each writer by the name `echolab synth FORMAT` and `data.synthetic.writer` give it.
WRITERS = {"ev9v": write_ev9v, "echonet": write_echonet, "manifest": write_manifest_dataset}

__all__ = [
    "GENERATOR_VERSION",
    "MOTION_ONLY_PAIR",
    "VIEW_CLASSES",
    "WRITERS",
    "ManifestRow",
    "SyntheticVideo",
    "render_video",
    "write_echonet",
    "write_ev9v",
    "write_manifest",
    "write_manifest_dataset",
]
