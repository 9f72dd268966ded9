"""Split assignment of a synthetic dataset: every class divided in the asked proportions."""

from __future__ import annotations

import numpy as np

SPLITS = ("train", "val", "test")


def stratified_splits(labels: list[str], fractions, seed: int) -> list[str]:
    """A split per item such that every class is divided in the given proportions (largest
    remainder rounding; each split with a non-zero fraction gets a video of a class that has
    enough)."""
    rng = np.random.default_rng([seed, 2])
    result = [""] * len(labels)
    for label in dict.fromkeys(labels):
        members = [i for i, item in enumerate(labels) if item == label]
        counts = _split_counts(len(members), fractions, rng)
        names = np.repeat(SPLITS, counts)
        for member, name in zip(rng.permutation(members), names, strict=True):
            result[member] = str(name)
    return result


def _split_counts(total: int, fractions, rng: np.random.Generator) -> np.ndarray:
    wanted = np.asarray(fractions, dtype=float) * total
    counts = np.floor(wanted).astype(int)
    # Ties in the remainders go to a random split, so small classes do not all skip the same one.
    order = np.lexsort((rng.random(len(counts)), -(wanted - counts).round(9)))
    for i in order[: total - counts.sum()]:
        counts[i] += 1
    nonzero = np.flatnonzero(np.asarray(fractions) > 0)
    if total >= len(nonzero):
        for i in nonzero:
            if counts[i] == 0:
                counts[np.argmax(counts)] -= 1
                counts[i] = 1
    return counts
