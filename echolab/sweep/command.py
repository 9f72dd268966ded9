"""`echolab sweep NAME|FILE [--local --trials N] [key=value ...]`: check a sweep file, or run it offline."""

from __future__ import annotations

import argparse

from echolab.errors import EcholabError
from echolab.sweep.spec import check_against_experiment, read_sweep


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="echolab sweep",
        description="Check a W&B sweep file against its experiment; with --local, run it here with "
        "W&B's sweep engine, each trial an `echolab train` process. Extra key=value words apply to "
        "every trial (e.g. profile=smoke).",
    )
    parser.add_argument("sweep", help="a name in experiments/sweeps/ or a path to a sweep YAML")
    parser.add_argument("--local", action="store_true", help="run the trials here, no W&B server")
    parser.add_argument("--trials", type=int, help="how many trials to run with --local")
    return parser


def main(words: list[str]) -> int:
    parser = _parser()
    args, overrides = parser.parse_known_args(words)
    unknown = [w for w in overrides if w.startswith("-")]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    spec = read_sweep(args.sweep)
    if not args.local:
        check_against_experiment(spec, overrides)
        print(
            f"{spec.path}: OK ({spec.config['method']} search of experiment {spec.exp} over "
            f"{', '.join(spec.parameters)}; {spec.goal} {spec.metric})\n"
            f"  on W&B:   make sweep SWEEP={spec.name}, then make agent ID=<the printed id>\n"
            f"  offline:  echolab sweep {args.sweep} --local --trials N"
        )
        return 0
    if args.trials is None or args.trials < 1:
        raise EcholabError("`echolab sweep --local` needs --trials N (N >= 1)")
    from echolab.sweep.local import run_local_sweep

    _, trials = run_local_sweep(spec, args.trials, overrides)
    return 0 if any(t.state == "finished" for t in trials) else 1
