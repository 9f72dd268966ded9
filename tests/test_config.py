"""Experiment composition: defaults order, profiles, overrides, struct-mode errors."""

import pytest
from omegaconf import OmegaConf
from omegaconf.errors import ConfigAttributeError

from echolab.config import EXPERIMENTS_ENV, apply_overrides, list_experiments, load_experiment, load_fragment
from echolab.errors import ConfigError


def test_experiment_composes_fragments_body_and_default_profile():
    cfg = load_experiment("view_synthetic")
    assert cfg.exp == "view_synthetic" and cfg.profile == "cpu"
    assert cfg.data.format == "ev9v"  # from base/data/ev9v.yaml
    assert cfg.data.root == "data/synthetic/ev9v"  # the experiment's body wins over the fragment
    assert cfg.model.name == "tsm" and cfg.task.name == "view"
    assert cfg.model.backbone == "resnet10t" and cfg.model.fold_div == 8  # body over fragment, rest kept
    assert cfg.trainer.accelerator == "cpu"  # the cpu profile's delta
    assert "profiles" not in cfg


def test_smoke_profile_merges_every_fragments_delta():
    cfg = load_experiment("view_synthetic", ["profile=smoke"])
    assert cfg.profile == "smoke"
    assert cfg.trainer.max_epochs == 1  # trainer fragment
    assert cfg.model.backbone == "resnet10t"  # model fragment
    assert cfg.data.size == 32  # task fragment
    assert cfg.data.synthetic.videos_per_class == 3  # experiment
    assert cfg.data.synthetic.writer == "ev9v"  # untouched keys of a merged node survive


def test_overrides_set_add_delete_and_parse_values():
    cfg = load_experiment(
        "view_synthetic",
        [
            "optim.lr=3e-4",
            "+trainer.fast_dev_run=true",
            "~callbacks.early_stopping",
            "data.classes=[a,b]",
            "model.dropout=0.1",
        ],
    )
    assert cfg.optim.lr == pytest.approx(3e-4) and isinstance(cfg.optim.lr, float)
    assert cfg.trainer.fast_dev_run is True
    assert "early_stopping" not in cfg.callbacks
    assert list(cfg.data.classes) == ["a", "b"]
    assert cfg.model.dropout == 0.1


def test_mistyped_key_names_the_closest_valid_keys():
    with pytest.raises(ConfigError) as err:
        load_experiment("view_synthetic", ["optim.lrr=1"])
    assert "optim.lr" in str(err.value) and "+optim.lrr" not in str(err.value)


def test_adding_a_key_to_a_section_read_as_fixed_keys_is_refused():
    with pytest.raises(ConfigError, match=r"'optim.lrr' cannot be added.*Closest valid keys: optim.lr"):
        load_experiment("view_synthetic", ["+optim.lrr=1"])
    with pytest.raises(ConfigError, match="cannot be added"):
        load_experiment("view_synthetic", ["+data.shuffle=true"])
    # where the code checks the keys itself, adding stays possible
    cfg = load_experiment("view_synthetic", ["+model.dropout_rate=0.1", "+data.extra_copies.A4C=2"])
    assert cfg.model.dropout_rate == 0.1 and cfg.data.extra_copies.A4C == 2


def test_a_new_key_in_an_open_section_is_suggested_with_plus():
    with pytest.raises(ConfigError, match=r"Use \+model.zzzzqqq=VALUE"):
        load_experiment("view_synthetic", ["model.zzzzqqq=1"])


def test_struct_mode_rejects_new_keys_set_in_code():
    cfg = load_experiment("view_synthetic")
    with pytest.raises(ConfigAttributeError):
        cfg.optim.not_a_key = 1


def test_group_swap_replaces_a_fragment():
    cfg = load_experiment("view_synthetic", ["model=cnn_lstm", "profile=smoke"])
    assert cfg.model.name == "cnn_lstm" and "fold_div" not in cfg.model
    assert cfg.model.hidden == 32  # cnn_lstm's own smoke delta


def test_group_swap_drops_body_keys_the_new_fragment_does_not_take():
    cfg = load_experiment("view_synthetic", ["model=x3d"])
    assert cfg.model.name == "x3d" and "backbone" not in cfg.model  # the body tuned tsm's backbone
    assert cfg.data.size == 64  # other groups keep the body's values


@pytest.mark.parametrize(
    "override, message",
    [
        (["model=nope"], "available: "),
        (["profile=gpu"], "no profile 'gpu'"),
        (["oops"], "key=value"),
        (["~optim.nope"], "unknown config key"),
    ],
)
def test_bad_overrides_give_clear_errors(override, message):
    with pytest.raises(ConfigError, match=message):
        load_experiment("view_synthetic", override)


def test_unknown_experiment_suggests_a_close_name():
    with pytest.raises(ConfigError, match="view_synthetic"):
        load_experiment("view_synthetc")


def test_data_fragment_alone_for_data_summary():
    cfg = load_fragment("data", "manifest", ["data.root=/x"])
    assert cfg.data.format == "manifest" and cfg.data.root == "/x" and cfg.data.manifest == "manifest.csv"


def test_yaml_path_experiment_and_float_literals(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("defaults:\n  - data: ev9v\nlr: 1e-4\n")
    cfg = load_experiment(str(path))
    assert cfg.exp == "mine" and cfg.lr == pytest.approx(1e-4)


def test_apply_overrides_keeps_struct_mode():
    cfg = OmegaConf.create({"model": {"b": 1}})
    OmegaConf.set_struct(cfg, True)
    apply_overrides(cfg, ["+model.c=2"])
    assert cfg.model.c == 2 and OmegaConf.is_struct(cfg)


def test_every_experiment_composes_under_both_profiles():
    for exp in list_experiments():
        for profile in ("smoke", "cpu"):
            cfg = load_experiment(exp, [f"profile={profile}"])
            assert cfg.profile == profile


def test_a_list_valued_defaults_entry_composes_each_fragment_in_order(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("defaults:\n  - task: view\n  - callbacks: [checkpoint, early_stopping]\n")
    cfg = load_experiment(str(path))
    assert list(cfg.callbacks) == ["checkpoint", "early_stopping"]
    assert cfg.callbacks.early_stopping.patience == 10  # from callbacks/early_stopping.yaml
    assert cfg.callbacks.checkpoint.monitor == "val/acc"  # the task's metric, through ${task.monitor}


def test_a_list_swap_replaces_the_listed_fragments():
    cfg = load_experiment("stfm_synthetic", ["callbacks=[checkpoint]"])
    assert list(cfg.callbacks) == ["checkpoint"]  # the body's early_stopping: null went with its fragment


def test_a_fragment_builds_on_the_fragments_its_defaults_name():
    cfg = load_fragment("optim", "adam")  # optim/adam.yaml: `defaults: [optim: adamw]`, then its own keys
    assert cfg.optim.name == "adam" and cfg.optim.lr == pytest.approx(1e-4)
    assert cfg.optim.scheduler == "cosine" and cfg.optim.warmup_epochs == 1  # from optim/adamw.yaml
    cfg = load_experiment("x3d_ev9v", ["profile=smoke"])  # trainer/gpu.yaml builds on trainer/default.yaml
    assert cfg.trainer.precision == "32-true" and cfg.trainer.max_epochs == 1  # both fragments' profiles


def test_a_fragment_including_itself_is_an_error(tmp_path, monkeypatch):
    group = tmp_path / "base" / "loop"
    group.mkdir(parents=True)
    (group / "a.yaml").write_text("defaults:\n  - loop: b\n")
    (group / "b.yaml").write_text("defaults:\n  - loop: a\n")
    monkeypatch.setenv(EXPERIMENTS_ENV, str(tmp_path))
    with pytest.raises(ConfigError, match="loop/a includes itself: loop/a -> loop/b -> loop/a"):
        load_fragment("loop", "a")


@pytest.mark.parametrize("profile", ["cpu", "smoke"])
def test_the_two_spellings_of_the_synthetic_nine_view_set_agree(profile):
    # data/ev9v_zoo.yaml's profiles repeat data/synthetic_ev9v.yaml's set (profiles cannot name a fragment)
    keys = ("root", "synthetic", "cache_size", "size")
    ours = load_experiment("view_synthetic", [f"profile={profile}"]).data
    zoo = load_experiment("cnn_lstm_ev9v", [f"profile={profile}"]).data
    assert {k: ours[k] for k in keys} == {k: zoo[k] for k in keys}
