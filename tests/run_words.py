"""The override words a test run starts from: the smoke profile on a fixture dataset (never generated),
with the run folders and the frame cache under the test's own tmp_path."""

from pathlib import Path

ONE_STEP = ["trainer.limit_train_batches=1", "trainer.limit_val_batches=1", "trainer.limit_test_batches=1"]


def smoke_words(data_root: Path, tmp_path: Path, *extra: str) -> list[str]:
    return [
        "profile=smoke",
        f"data.root={data_root}",
        "data.synthetic=null",
        f"run.root={tmp_path / 'runs'}",
        f"data.cache_dir={tmp_path / 'cache'}",
        *extra,
    ]
