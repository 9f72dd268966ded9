"""Which loggers a run gets: CSV always; W&B offline by default, WANDB_MODE over the config, disabled skips."""

import pytest
from lightning.pytorch.loggers import CSVLogger, WandbLogger

from echolab.loggers import RunCSVLogger, build_loggers, wandb_logger, wandb_mode


def _cfg(mode: str) -> dict:
    return {
        "exp": "demo",
        "logger": {"wandb": {"mode": mode, "project": "echolab", "entity": None, "tags": ["t"]}},
    }


def test_config_mode_is_used_without_the_environment_variable(monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    assert wandb_mode(_cfg("offline")["logger"]) == "offline"
    assert wandb_mode(_cfg("online")["logger"]) == "online"


def test_environment_variable_wins_and_old_names_are_understood(monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "online")
    assert wandb_mode(_cfg("offline")["logger"]) == "online"
    monkeypatch.setenv("WANDB_MODE", "dryrun")
    assert wandb_mode(_cfg("online")["logger"]) == "offline"


def test_unknown_mode_names_the_config_key_and_the_variable(monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    with pytest.raises(ValueError, match="logger.wandb.mode or WANDB_MODE"):
        wandb_mode(_cfg("sometimes")["logger"])


def test_disabled_gives_only_the_csv_logger(monkeypatch, tmp_path):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    loggers = build_loggers(_cfg("disabled"), tmp_path)
    assert [type(lg) for lg in loggers] == [RunCSVLogger] and isinstance(loggers[0], CSVLogger)
    assert wandb_logger(loggers) is None


def test_a_resumed_runs_csv_keeps_the_rows_up_to_its_checkpoint(tmp_path):
    log = tmp_path / "csv" / "metrics.csv"
    log.parent.mkdir()
    log.write_text(
        "epoch,lr,step,train/loss\n"
        ",0.1,0,\n0,,0,0.9\n,0.1,1,\n0,,1,0.8\n"  # epoch 0: two steps and their learning rates
        ",0.05,2,\n1,,2,0.7\n"  # the epoch the run was stopped in: trained again on resume
    )
    csv_logger = RunCSVLogger(tmp_path, resumed_at=(1, 2))
    csv_logger.log_metrics({"train/loss": 0.6, "epoch": 1}, step=2)
    csv_logger.save()
    assert log.read_text().splitlines() == [
        "epoch,lr,step,train/loss",
        ",0.1,0,",
        "0,,0,0.9",
        ",0.1,1,",
        "0,,1,0.8",
        "1,,2,0.6",
    ]


def test_offline_wandb_logger_saves_into_the_run_folder_with_the_config(monkeypatch, tmp_path):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    cfg = _cfg("offline")
    loggers = build_loggers(cfg, tmp_path)
    wandb = wandb_logger(loggers)
    assert isinstance(wandb, WandbLogger) and loggers[0].log_dir == str(tmp_path / "csv")
    assert wandb.save_dir == str(tmp_path)
    assert wandb._wandb_init["mode"] == "offline" and wandb._wandb_init["config"] == cfg
    assert wandb._wandb_init["name"] == f"demo/{tmp_path.name}"


def test_wandb_logger_leaves_out_the_deprecated_anonymous_setting(monkeypatch, tmp_path):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    logger = wandb_logger(build_loggers(_cfg("offline"), tmp_path))
    assert "anonymous" not in logger._wandb_init  # W&B warns "has no effect" for any value, None included
