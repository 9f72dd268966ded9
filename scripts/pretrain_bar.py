"""Pretrain every arm of the bar table, probe it on EF category and EF, and write the table (docs/pretraining.md).

    .venv/bin/python scripts/pretrain_bar.py --out runs/bar/cpu8 --epochs 8 --seeds 0 1 2
    .venv/bin/python scripts/pretrain_bar.py --out runs/bar/cpu8 --epochs 8 --seeds 0 --arms VideoMAE JEPA
    .venv/bin/python scripts/pretrain_bar.py --out runs/bar/cpu8 --report-only   # the table again

Every step is the framework's own command (`echolab train`, `echolab probe`) in a subprocess with
OMP_NUM_THREADS=1, one at a time; each finished step is recorded in OUT/manifest.json, so a rerun with
the same --out skips what is done (more seeds or arms can be added later). The table and the paired
bootstrap gains (echolab/probe/bar.py) are written to OUT/table.md from the run folders alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from echolab.probe.bar import bar_table, gain_lines

ROOT = Path(__file__).resolve().parents[1]
ECHOLAB = [str(Path(sys.executable).parent / "echolab")]  # the venv's console script
DATA_EXP = "discovr_synthetic"  # every arm is probed on this experiment's data (the shared synthetic set)
NO_CLUSTER = ["task.weights.cluster=0", "task.weights.cluster_reverse=0"]
# arm -> how it gets its features: ("pixels" | "random" | an experiment to pretrain, its overrides)
ARMS = {
    "raw pixels": ("pixels", []),
    "random init": ("random", []),
    "VideoMAE": ("videomae_synthetic", []),
    "image DINO only": ("discovr_synthetic", [*NO_CLUSTER, "task.weights.video_dino=0"]),
    "DISCOVR": ("discovr_synthetic", []),
    "DISCOVR w/o cluster distillation": ("discovr_synthetic", NO_CLUSTER),
    "JEPA": ("jepa_synthetic", []),
}
# Arms scored on another feature set than the probe's headline (the EMA video teacher's CLS): image DINO
# alone trains only DISCOVR's image teacher, never the video encoder (tests/tasks/pretrain/test_module.py).
FEATURES = {"image DINO only": "image_teacher/cls"}
# (system, reference[, system feature, reference feature]): paired bootstrap gains on EF-category kNN
GAINS = [
    ("DISCOVR", "random init"),
    ("DISCOVR", "raw pixels"),
    ("DISCOVR", "random init", "teacher/mean", "random/mean"),  # the token cluster distillation trains
    ("DISCOVR w/o cluster distillation", "random init"),
    ("VideoMAE", "random init", "teacher/mean", "random/mean"),
    ("JEPA", "random init", "teacher/mean", "random/mean"),
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--epochs", type=int, help="pretraining epochs of every trained arm (the budget)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS), metavar="ARM")
    parser.add_argument("--overrides", nargs="*", default=[], help="extra key=value for every pretraining")
    parser.add_argument("--probe-overrides", nargs="*", default=[], help="extra key=value for every probe")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()

    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"arms": {}}
    if not args.report_only:
        if args.epochs is None:
            parser.error("--epochs is required unless --report-only")
        budget = {"epochs": args.epochs, "overrides": args.overrides, "probe_overrides": args.probe_overrides}
        if manifest.setdefault("budget", budget) != budget:
            parser.error(f"{manifest_path} was made with {manifest['budget']}; use another --out")
        manifest["features"] = {
            arm: FEATURES[arm] for arm in manifest["arms"] | dict.fromkeys(args.arms) if arm in FEATURES
        }
        for seed in args.seeds:
            for arm in args.arms:
                runs = manifest["arms"].setdefault(arm, {}).setdefault(str(seed), {})
                measure(arm, seed, runs, args, lambda: save(manifest_path, manifest))
    manifest["arms"] = {arm: manifest["arms"][arm] for arm in ARMS if arm in manifest["arms"]}  # table order
    table = bar_table(manifest) + "\n\n" + "\n".join(gain_lines(manifest, GAINS)) + "\n"
    (args.out / "table.md").write_text(table)
    print(table)


def measure(arm: str, seed: int, runs: dict, args, save) -> None:
    source, overrides = ARMS[arm]
    name = arm.replace(" ", "_").replace("/", "")
    if source == "pixels":
        ckpt = ["features=pixels"]
    elif source == "random":
        ckpt = ["ckpt=random"]
    else:
        if "train" not in runs:
            root = args.out / "train" / f"{name}-s{seed}"
            echolab(
                "train", f"exp={source}", f"seed={seed}", f"trainer.max_epochs={args.epochs}",
                f"run.root={root}", "callbacks=[checkpoint]", *overrides, *args.overrides,
            )  # fmt: skip
            runs["train"] = str(only_run(root / source))
            save()
        ckpt = [f"ckpt={runs['train']}/checkpoints/last.ckpt"]
    for target, extra in (("ef_category", []), ("ef", ["probe.perturbations=[]"])):
        if target in runs:
            continue
        root = args.out / "probe" / f"{name}-s{seed}-{target}"
        echolab(
            "probe",
            *ckpt,
            f"exp={DATA_EXP}",
            f"probe.target={target}",
            f"seed={seed}",
            f"run.root={root}",
            *extra,
            *args.probe_overrides,
        )
        runs[target] = str(only_run(root / "probe" / DATA_EXP))
        save()


def echolab(*words: str) -> None:
    print("$ echolab " + " ".join(words), flush=True)
    env = os.environ | {"OMP_NUM_THREADS": "1", "WANDB_MODE": "disabled"}
    subprocess.run([*ECHOLAB, *words], check=True, cwd=ROOT, env=env)


def only_run(folder: Path) -> Path:
    runs = [p for p in folder.iterdir() if p.is_dir()]
    if len(runs) != 1:
        raise SystemExit(f"expected one run folder in {folder}, found {len(runs)}")
    return runs[0]


def save(path: Path, manifest: dict) -> None:
    """Write the manifest, merged into the one on disk: several invocations (different arms) may run at
    once on one --out, each adding its own runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        on_disk = json.loads(path.read_text())
        for arm, seeds in on_disk["arms"].items():
            for seed, runs in seeds.items():
                mine = manifest["arms"].setdefault(arm, {}).setdefault(seed, {})
                mine.update({key: value for key, value in runs.items() if key not in mine})
        manifest["features"] = on_disk.get("features", {}) | manifest.get("features", {})
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(manifest, indent=1))
    partial.replace(path)


if __name__ == "__main__":
    main()
