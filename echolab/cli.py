"""`echolab <command>`: train, evaluate, predict, export, synth, prepare, data-summary, config, bench,
compare, report, probe, embed.

Commands that take an experiment use `key=value` words, like the experiment YAMLs they override.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from echolab.errors import EcholabError

STARTED = time.time()  # the command's own clock: the end-of-run summary reports its wall time

USAGE = """echolab <command> ...

  train         exp=NAME [key=value ...]            train an experiment (experiments/NAME.yaml)
                [exp=NAME] resume=RUN_DIR [trainer.max_epochs=N]   continue a stopped run in its folder
  evaluate      ckpt=PATH [exp=NAME] [key=value ...] judge a checkpoint on val and test (exp: the stored one)
  predict       ckpt=PATH video=PATH [out=CSV]      predict videos (file, frame folder, folder, glob, [a,b]);
                                                    ckpt: a checkpoint or an exported model (.onnx, .pt, .json)
  export        ckpt=PATH format=onnx|torchscript [out=FILE]   a model file + JSON sidecar for use outside echolab
  synth         FORMAT [--out DIR] ...              write a synthetic dataset (ev9v | echonet | manifest)
  prepare       dicom --in DIR --out DIR [...]      DICOM cines -> a de-identified manifest dataset
  data-summary  (exp=NAME | data=FRAGMENT) [key=value ...] [--json]   validate and count a dataset
  config        exp=NAME [key=value ...]            print the composed config
  bench         [--out PATH]                        speed benchmarks, written as JSON
  sweep         NAME|FILE [--local --trials N] [key=value ...]   check a W&B sweep, or run it offline
  compare       suite=NAME [seeds=3] [reference=ENTRY] [--dry-run] [key=value ...]  train a suite, write a table
  report        FOLDER                              Markdown table of a run or compare folder, for docs
  probe         (ckpt=PATH|ckpt=random|features=pixels) exp=NAME [probe.target=view|ef_category|ef] [key=value ...]
                                                    kNN and linear probes of frozen features (docs/probes.md)
  embed         (ckpt=PATH|ckpt=random|features=pixels) exp=NAME out=FILE.npz   per-video embeddings

overrides: key=value sets a key, +key=value adds one, ~key deletes one, group=option swaps a
fragment (data=manifest, model=x3d), profile=smoke|cpu picks a profile.
"""


def _split_words(words: list[str], special: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """Separate `name=value` words for `special` names from config overrides."""
    picked, overrides = {}, []
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key in special:
            picked[key] = value
        else:
            overrides.append(word)
    return picked, overrides


def _rejoin_lists(words: list[str]) -> list[str]:
    """Join words the shell split inside a bracketed list (`data.classes=[A4C,` `PLHLA]`) back into one,
    so `make train ARGS="data.classes=[A4C, PLHLA]"` means what it says."""
    joined: list[str] = []
    depth = 0
    for word in words:
        if depth > 0:
            joined[-1] += " " + word
        else:
            joined.append(word)
        depth += word.count("[") - word.count("]")
    return joined


def _require(picked: dict, name: str, command: str) -> str:
    if not picked.get(name):
        raise EcholabError(f"`echolab {command}` needs {name}=...; see `echolab --help`")
    return picked[name]


def _train(words: list[str]) -> int:
    from echolab.config import load_experiment
    from echolab.resume import resume_point
    from echolab.train import train

    picked, overrides = _split_words(words, ("exp", "resume"))
    if picked.get("resume"):
        cfg, point = resume_point(picked["resume"], overrides, picked.get("exp"))
    else:
        cfg, point = load_experiment(picked.get("exp", "view_synthetic"), overrides), None
    train(cfg, overrides, started=STARTED, resume=point)
    return 0


def _evaluate(words: list[str]) -> int:
    from echolab.checkpoints import read_header, stored_experiment
    from echolab.config import load_experiment, load_stored_experiment
    from echolab.train import evaluate

    picked, overrides = _split_words(words, ("exp", "ckpt"))
    ckpt = _require(picked, "ckpt", "evaluate")
    if "exp" in picked:
        cfg = load_experiment(picked["exp"], overrides)
    else:
        cfg = load_stored_experiment(stored_experiment(read_header(ckpt), ckpt), overrides)
    evaluate(cfg, ckpt, overrides, started=STARTED)
    return 0


def _predict(words: list[str]) -> int:
    from echolab.predict import predict

    picked, rest = _split_words(words, ("ckpt", "video", "out", "batch_size", "cache_dir", "runs_root"))
    if rest:
        raise EcholabError(
            f"`echolab predict` does not take {rest}; it takes ckpt=, video=, out=, "
            "batch_size=, cache_dir=, runs_root="
        )
    options = {k: picked[k] for k in ("out", "cache_dir", "runs_root") if k in picked}
    if "batch_size" in picked:
        options["batch_size"] = int(picked["batch_size"])
    result = predict(_require(picked, "ckpt", "predict"), _require(picked, "video", "predict"), **options)
    return 1 if result.failed else 0


def _export(words: list[str]) -> int:
    from echolab.export.exporter import export_checkpoint

    picked, rest = _split_words(words, ("ckpt", "format", "out"))
    if rest:
        raise EcholabError(f"`echolab export` does not take {rest}; it takes ckpt=, format=, out=")
    export_checkpoint(
        _require(picked, "ckpt", "export"), _require(picked, "format", "export"), picked.get("out") or None
    )
    return 0


def _data_summary(words: list[str]) -> int:
    from echolab.config import load_experiment, load_fragment, to_plain
    from echolab.data.formats import read_dataset
    from echolab.data.summary import format_summary, summarize

    as_json = "--json" in words
    picked, overrides = _split_words([w for w in words if w != "--json"], ("exp", "data"))
    if ("exp" in picked) == ("data" in picked):
        raise EcholabError(
            "`echolab data-summary` needs exactly one of exp=NAME or data=FRAGMENT "
            "(ev9v, echonet_dynamic, manifest, camus, dicom)"
        )
    cfg = (
        load_experiment(picked["exp"], overrides)
        if "exp" in picked
        else load_fragment("data", picked["data"], overrides)
    )
    data = to_plain(cfg.data)
    options = {"manifest": data["manifest"]} if data.get("manifest") else {}
    index = read_dataset(data["format"], data["root"], classes=data.get("classes"), skip_bad=True, **options)
    summary = summarize(index, check_videos=True, progress=not as_json)
    print(json.dumps(summary, indent=2) if as_json else format_summary(summary))
    return 1 if summary["bad"] else 0


def _config(words: list[str]) -> int:
    from omegaconf import OmegaConf

    from echolab.config import load_experiment

    picked, overrides = _split_words(words, ("exp",))
    print(OmegaConf.to_yaml(load_experiment(_require(picked, "exp", "config"), overrides), resolve=True))
    return 0


def _synth(words: list[str]) -> int:
    from echolab.data.synthetic import command

    parser = argparse.ArgumentParser(prog="echolab synth", description="Write a synthetic echo dataset.")
    command.add_arguments(parser)
    return command.run(parser.parse_args(words))


def _prepare(words: list[str]) -> int:
    from echolab.dicom.command import main as prepare_main

    return prepare_main(words)


def _bench(words: list[str]) -> int:
    from echolab.bench.run import main as bench_main

    return bench_main(words)


def _compare(words: list[str]) -> int:
    from echolab.compare import main as compare_main

    return compare_main(words)


def _probe_arm(words: list[str], command: str, extra: tuple[str, ...] = ()):
    """The probe settings composed into exp=, the arm the words name, and the remaining overrides."""
    from echolab.config import to_plain
    from echolab.probe.arms import choose_arm
    from echolab.probe.command import load_probe_experiment

    picked, overrides = _split_words(words, ("exp", "ckpt", "features", *extra))
    cfg = load_probe_experiment(_require(picked, "exp", command), overrides)
    arm = choose_arm(picked.get("ckpt"), picked.get("features"), to_plain(cfg))
    named = [f"{key}={picked[key]}" for key in ("ckpt", "features") if key in picked]
    return cfg, arm, picked, [*overrides, *named]


def _probe(words: list[str]) -> int:
    from echolab.probe.command import probe

    cfg, arm, _, overrides = _probe_arm(words, "probe")
    probe(cfg, arm, overrides, started=STARTED)
    return 0


def _embed(words: list[str]) -> int:
    from echolab.probe.command import embed

    cfg, arm, picked, _ = _probe_arm(words, "embed", ("out",))
    embed(cfg, arm, _require(picked, "out", "embed"))
    return 0


def _report(words: list[str]) -> int:
    from echolab.report import main as report_main

    return report_main(words)


def _sweep(words: list[str]) -> int:
    from echolab.sweep.command import main as sweep_main

    return sweep_main(words)


COMMANDS = {
    "train": _train,
    "evaluate": _evaluate,
    "predict": _predict,
    "export": _export,
    "synth": _synth,
    "prepare": _prepare,
    "data-summary": _data_summary,
    "config": _config,
    "bench": _bench,
    "sweep": _sweep,
    "compare": _compare,
    "report": _report,
    "probe": _probe,
    "embed": _embed,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    command, words = argv[0], _rejoin_lists(argv[1:])
    if command not in COMMANDS:
        print(f"echolab: unknown command '{command}'\n\n{USAGE}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[command](words)
    except EcholabError as err:
        print(f"echolab {command}: error: {err}", file=sys.stderr)
        return 2
