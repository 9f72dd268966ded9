"""What a probe predicts for each video: its view (the dataset's label), its EF category, or its EF."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echolab.data.records import VideoRecord
from echolab.errors import DatasetError, check_choice

TARGETS = ("view", "ef_category", "ef")
# DISCOVR's EchoNet-Dynamic protocol: an ejection fraction below 50 % is abnormal.
EF_ABNORMAL_BELOW = 50.0
EF_CLASSES = ["Abnormal", "Normal"]


def ef_category(ef: float) -> int:
    """Index into EF_CLASSES: 0 Abnormal (EF < 50 %), 1 Normal."""
    return 0 if ef < EF_ABNORMAL_BELOW else 1


@dataclass(frozen=True)
class Target:
    name: str  # one of TARGETS
    classes: list[str] | None  # None: a regression target (EF, %)

    @property
    def is_classification(self) -> bool:
        return self.classes is not None

    def values(self, records: list[VideoRecord], where: str, setting: str = "probe.target") -> np.ndarray:
        """Per record: a class index (int64) or the EF (float64). Every record must have one: a probe
        that quietly left videos out would be judged on another set than its neighbours (N9). `where`
        and `setting` (the key that chose the target) make the error's words."""
        if self.name == "view":
            missing = [r.name for r in records if r.label is None]
        else:
            missing = [r.name for r in records if r.ef is None]
        if missing:
            needs = "a label" if self.name == "view" else "an EF (EchoNet-Dynamic's FileList.csv EF column)"
            raise DatasetError(
                f"{where}: {setting}={self.name} needs {needs} for every video; {len(missing)} have "
                f"none (first: {missing[0]}). Fill them in, or choose another target"
            )
        if self.name == "view":
            return np.array([r.label for r in records], dtype=np.int64)
        if self.name == "ef_category":
            return np.array([ef_category(r.ef) for r in records], dtype=np.int64)
        return np.array([r.ef for r in records], dtype=np.float64)


def probe_target(name: str, dataset_classes: list[str]) -> Target:
    check_choice("probe.target", name, TARGETS)
    if name == "view":
        return Target(name, list(dataset_classes))
    return Target(name, list(EF_CLASSES) if name == "ef_category" else None)
