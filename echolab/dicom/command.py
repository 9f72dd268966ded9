"""`echolab prepare dicom --in DIR --out DIR [...]`: arguments, and the summary printed at the end."""

from __future__ import annotations

import argparse
from pathlib import Path

from echolab.dicom.pseudonyms import KEY_ENV, default_key_path
from echolab.errors import EcholabError


def main(words: list[str]) -> int:
    if not words or words[0] != "dicom":
        raise EcholabError(
            "`echolab prepare` prepares one kind of data: `echolab prepare dicom --in DIR --out DIR`"
        )
    parser = argparse.ArgumentParser(
        prog="echolab prepare dicom",
        description="Turn a tree of DICOM ultrasound cines (files of any name) into a de-identified "
        "manifest dataset: masked videos named by keyed pseudonyms (docs/dicom.md).",
    )
    parser.add_argument(
        "--in", dest="source", required=True, type=Path, help="folder of DICOM files, searched in full"
    )
    parser.add_argument("--out", required=True, type=Path, help="new folder for the de-identified dataset")
    parser.add_argument(
        "--key",
        type=Path,
        default=None,
        help=f"secret key file for the pseudonyms, outside --out; created on first use "
        f"(default ${KEY_ENV} or {default_key_path()})",
    )
    parser.add_argument(
        "--link-map",
        type=Path,
        default=None,
        help="CSV linking each pseudonym to its source path and UIDs (outside --out)",
    )
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument(
        "--format", choices=("avi", "frames"), default="avi", help="MJPG AVIs or folders of PNG frames"
    )
    parser.add_argument(
        "--size", type=int, default=None, help="resize so the shorter side is SIZE px (default: native)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(words[1:])

    from echolab.dicom.prepare import prepare_dicom

    result = prepare_dicom(
        args.source,
        args.out,
        key=args.key or default_key_path(),
        link_map=args.link_map,
        workers=args.workers,
        format=args.format,
        size=args.size,
        progress=not args.no_progress,
    )
    print(format_summary(result))
    return 0 if result.cines else 1


def format_summary(result) -> str:
    summary = result.summary
    lines = [
        f"{result.cines} cines in {result.out} ({result.written} written now, {result.resumed} done before); "
        f"{summary['files']} files read, {result.duplicates} duplicate instance(s) written once, "
        f"{result.bad} bad file(s) listed in bad_files.csv",
    ]
    for title, key in (
        ("by transfer syntax", "by_transfer_syntax"),
        ("by vendor", "by_vendor"),
        ("bad files by reason", "bad_by_reason"),
        ("flags", "flags"),
    ):
        if summary[key]:
            lines.append(
                f"  {title}: " + ", ".join(f"{name} {count}" for name, count in summary[key].items())
            )
    if result.cines:
        lines.append(
            "next: check the masks in qa/*.png, fill in label and split (and ed, es) in manifest.csv, then "
            f"train: echolab train exp=NAME data=dicom data.root={result.out}"
        )
    else:
        lines.append("no cine could be converted: see bad_files.csv for each file's reason")
    return "\n".join(lines)
