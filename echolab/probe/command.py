"""`echolab probe` and `echolab embed`: one experiment's dataset, one arm's frozen features.

    echolab probe ckpt=PATH exp=NAME [probe.target=view|ef_category|ef] [key=value ...]
    echolab probe ckpt=random exp=NAME ...        # a random-init encoder of the experiment's model: block
    echolab probe features=pixels exp=NAME ...    # raw pixels
    echolab embed ckpt=PATH exp=NAME out=FILE.npz

A probe run writes runs/probe/<exp>/<stamp>-<id>/: config.yaml, metrics.json, predictions.csv (one row
per test video, one column per feature set and probe) and plots/, and prints a summary.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from omegaconf import DictConfig

from echolab.config import load_experiment, to_plain
from echolab.data.sources import describe_provenance
from echolab.errors import DatasetError, EcholabError
from echolab.probe.arms import Arm
from echolab.probe.data import ProbeData, open_probe_data
from echolab.probe.intervals import headline_intervals
from echolab.probe.perturb import Perturbation
from echolab.probe.protocol import run_protocol
from echolab.probe.report import headline, summary_lines, write_plots, write_predictions
from echolab.probe.settings import ProbeSettings
from echolab.probe.targets import EF_CLASSES, Target, ef_category, probe_target
from echolab.runs import create_run_dir, format_summary, write_config, write_metrics
from echolab.train import RunResult


def load_probe_experiment(exp: str, overrides: list[str]) -> DictConfig:
    """The experiment with the probe settings (experiments/base/probe/default.yaml) composed in."""
    return load_experiment(exp, overrides, add={"probe": "default"})


def probe(cfg: DictConfig, arm: Arm, overrides: list[str] = (), *, started: float | None = None) -> RunResult:
    """Every probe of `arm`'s features on the experiment's dataset, written to a new run folder."""
    started = time.time() if started is None else started
    plain = to_plain(cfg)
    settings = ProbeSettings.from_block(plain["probe"])
    data = open_probe_data(plain["data"], arm.cache_size)
    target = probe_target(settings.target, data.index.classes)
    values = {split: target.values(videos, where=str(data.root)) for split, videos in data.splits.items()}
    _check_classes(target, values, data)

    features = {
        split: arm.features(videos, data.cache, desc=f"{split} features")
        for split, videos in data.splits.items()
    }
    perturbed = {}
    if target.is_classification:
        for kind in settings.perturbations:
            perturbation = Perturbation(kind, settings.severity, seed=plain["seed"])
            perturbed[kind] = arm.features(
                data.splits["test"], data.cache, perturb=perturbation, desc=f"test + {kind}"
            )
    outcomes = {
        key: run_protocol(
            {split: features[split][key] for split in features},
            values,
            target,
            ks=settings.k,
            temperature=settings.temperature,
            weight_decays=settings.weight_decays,
            perturbed_test={kind: perturbed[kind][key] for kind in perturbed},
        )
        for key in arm.feature_keys
    }

    run_dir = create_run_dir(Path(plain["run"]["root"]) / "probe", plain["exp"], subdirs=("plots",))
    recorded = plain | {"data_source": data.provenance, "arm": arm.record()}
    write_config(run_dir, recorded, list(overrides))
    write_predictions(run_dir / "predictions.csv", data.splits["test"], values["test"], target, outcomes)
    write_plots(run_dir / "plots", values["test"], target, arm, outcomes, settings)
    metrics = {
        "exp": plain["exp"],
        "profile": plain["profile"],
        "arm": arm.record(),
        "target": target.name,
        "classes": target.classes,
        "videos": {split: len(videos) for split, videos in data.splits.items()},
        "protocol": {
            "clips_per_video": settings.clips,
            "k": settings.k,
            "temperature": settings.temperature,
            "queries": "test",
            "banks": {"train_bank": "train split", "val_bank": "val split (DISCOVR's protocol)"},
            "perturbations": settings.perturbations if target.is_classification else [],
            "severity": settings.severity,
        },
        "features": {key: outcome.report for key, outcome in outcomes.items()},
        "headline": headline(arm.feature_keys[0], outcomes[arm.feature_keys[0]].report, target, settings),
        **headline_intervals(
            values["test"],
            outcomes[arm.feature_keys[0]].predictions,
            target,
            settings.k[0],
            settings.bootstrap,
        ),
        "data_source": data.provenance,
        "seconds": round(time.time() - started, 1),
    }
    write_metrics(run_dir, metrics)
    extra = {
        "data": f"{data.root}: {describe_provenance(data.provenance)}",
        "arm": arm.description,
        "target": f"{target.name}, {len(data.splits['test'])} test videos",
        "time": f"{metrics['seconds']:.0f} s",
    }
    lines = summary_lines(outcomes, target, settings, metrics.get("intervals", {}))
    print(format_summary(f"probed {plain['exp']}", run_dir, lines, extra))
    return RunResult(run_dir, metrics)


def embed(cfg: DictConfig, arm: Arm, out: str | Path) -> Path:
    """Every video's feature vectors (all splits) in one .npz: `name`, `split`, `label` (the dataset's
    class, "" if none), `classes`, `ef` and `ef_category` where the dataset has EFs, one array per
    feature set (`teacher_cls`, ..., `pixels`) and `default`, the name of the headline one."""
    out = Path(out)
    if out.suffix != ".npz":
        raise EcholabError(f"out={out} must end in .npz")
    if out.exists():
        raise EcholabError(f"{out} exists; choose another out= (echolab never overwrites outputs)")
    plain = to_plain(cfg)
    settings = ProbeSettings.from_block(plain["probe"])
    data = open_probe_data(plain["data"], arm.cache_size)
    records = [record for split in ("train", "val", "test") for record in data.splits[split]]
    features = arm.features(records, data.cache, desc="embeddings")
    arrays = {
        "name": np.array([r.name for r in records]),
        "split": np.array([r.split for r in records]),
        "label": np.array(["" if r.label is None else data.index.classes[r.label] for r in records]),
        "classes": np.array(data.index.classes),
        "default": np.array(arm.feature_keys[0].replace("/", "_")),
    }
    if any(r.ef is not None for r in records):
        arrays["ef"] = np.array([np.nan if r.ef is None else r.ef for r in records])
        arrays["ef_category"] = np.array(
            ["" if r.ef is None else EF_CLASSES[ef_category(r.ef)] for r in records]
        )
    arrays |= {key.replace("/", "_"): value for key, value in features.items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial.npz")  # a crash never leaves a file that looks complete
    np.savez(partial, **arrays)
    partial.replace(out)
    print(f"embedded {len(records)} videos ({arm.description}, {settings.clips} clips each) into {out}")
    return out


def _check_classes(target: Target, values: dict[str, np.ndarray], data: ProbeData) -> None:
    if target.is_classification and len(set(values["train"].tolist())) < 2:
        raise DatasetError(
            f"{data.root}: the train split holds one {target.name} class only "
            f"({target.classes[int(values['train'][0])]}); a probe needs at least two to tell apart"
        )
