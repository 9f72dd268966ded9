"""The default experiments the training benchmarks measure, built as `make train` builds them, on a
smaller copy of their synthetic data in the benchmark's work folder.

Only the number of videos shrinks (the benchmarks time steps and epochs, not learning); the data
generator's other options, the model, the optimizer and every loader setting (batch size, workers,
clip shape, augmentation) are the experiment's own.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L

from echolab.config import load_experiment, to_plain
from echolab.quiet import silence_library_noise

# experiment -> the override that makes its synthetic data smaller
SMALLER = {
    "view_synthetic": "data.synthetic.videos_per_class=12",
    "keyframe_synthetic": "data.synthetic.videos=20",
}


def prepare(exp: str, work: Path, overrides: list[str] = ()) -> tuple[dict, object, object]:
    """(config, task entry, data module ready to train) of `exp` with its data under `work`."""
    from echolab.tasks.registry import task_entry

    silence_library_noise()
    root = work / f"data-{exp}"
    words = [
        SMALLER[exp],
        f"data.root={root}",
        f"data.synthetic.root={root}",  # echolab generates synthetic data only into the experiment's home
        f"data.cache_dir={work / 'cache'}",
        f"run.root={work / 'runs'}",
        *overrides,
    ]
    plain = to_plain(load_experiment(exp, words))
    L.seed_everything(plain["seed"], verbose=False)
    entry = task_entry(plain["task"]["name"])
    datamodule = entry.datamodule(plain["data"], seed=plain["seed"])
    datamodule.prepare_data()
    datamodule.setup("fit")
    return plain, entry, datamodule


def training_only_trainer(callbacks: list, **settings) -> L.Trainer:
    """A one-process CPU trainer that only trains (no validation, checkpoints, bars or summaries), so a
    benchmark times training steps and nothing else; `settings` add to or replace these."""
    return L.Trainer(
        **{
            "limit_val_batches": 0,
            "num_sanity_val_steps": 0,
            "logger": False,
            "enable_checkpointing": False,
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "accelerator": "cpu",
            "devices": 1,
            "callbacks": callbacks,
            **settings,
        }
    )
