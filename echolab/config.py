"""Load experiment YAMLs: compose `defaults:` fragments, apply a profile, then command-line overrides.

Order of composition (later wins):
  1. the fragments named in the experiment's `defaults:` list, in order (`- data: ev9v` reads
     `experiments/base/data/ev9v.yaml`; `- callbacks: [checkpoint, early_stopping]` reads each of the
     group's files named, in order). A fragment may carry its own `defaults:` (e.g. `data/synthetic_ev9v`
     builds on `data/ev9v`): those are merged just before it;
  2. the experiment's own body;
  3. the selected profile: every fragment may carry `profiles: {smoke: {...}, cpu: {...}}` holding
     only what that profile changes in its own keys, so a profile's deltas live next to the keys they
     touch;
  4. command-line overrides: `group=option` swaps a fragment of the experiment's own list (`model=x3d`,
     `callbacks=[checkpoint]`; a fragment's nested defaults stay as they are), `key=value` sets an
     existing key, `+key=value` adds a new one, `~key` deletes one.
The result is in struct mode, so a mistyped key fails and names the closest valid keys.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import yaml
from omegaconf import DictConfig, ListConfig, OmegaConf

from echolab.errors import ConfigError

EXPERIMENTS_ENV = "ECHOLAB_EXPERIMENTS"


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads `1e-4` as a string; researchers write learning rates that way."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                  |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                  |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                  |[-+]?\.(?:inf|Inf|INF)
                  |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def experiments_dir() -> Path:
    """The folder holding experiment YAMLs: $ECHOLAB_EXPERIMENTS, ./experiments, or the repo's."""
    candidates = [
        os.environ.get(EXPERIMENTS_ENV),
        Path.cwd() / "experiments",
        Path(__file__).resolve().parents[1] / "experiments",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "base").is_dir():
            return Path(candidate)
    raise ConfigError(
        f"no experiments folder found (looked in {[str(c) for c in candidates if c]}); "
        f"run from the echolab checkout or set {EXPERIMENTS_ENV}"
    )


def list_experiments() -> list[str]:
    return sorted(p.stem for p in experiments_dir().glob("*.yaml"))


def fragment_groups() -> list[str]:
    return sorted(p.name for p in (experiments_dir() / "base").iterdir() if p.is_dir())


def fragment_options(group: str) -> list[str]:
    return sorted(p.stem for p in (experiments_dir() / "base" / group).glob("*.yaml"))


def _read_yaml(path: Path) -> dict:
    try:
        content = yaml.load(path.read_text(), Loader=_Loader) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: invalid YAML: {err}") from err
    if not isinstance(content, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, found {type(content).__name__}")
    return content


def named_yaml(name: str, folder: str, what: str) -> Path:
    """The YAML file `name` names: itself when it is a .yaml path, else `experiments/<folder>/<name>.yaml`
    (folder "" for experiments); an unknown name suggests close ones and lists what there is."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise ConfigError(f"{what} file {path} does not exist")
        return path
    path = experiments_dir() / folder / f"{name}.yaml"
    if not path.is_file():
        available = sorted(p.stem for p in path.parent.glob("*.yaml"))
        close = difflib.get_close_matches(name, available, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ConfigError(
            f"unknown {what} '{name}' (no {path}).{hint} available: {', '.join(available) or 'none'}"
        )
    return path


def _fragment(group: str, option: str) -> dict:
    path = experiments_dir() / "base" / group / f"{option}.yaml"
    if not path.is_file():
        groups = fragment_groups()
        if group not in groups:
            raise ConfigError(f"unknown fragment group '{group}'; groups: {', '.join(groups)}")
        raise ConfigError(
            f"unknown {group} fragment '{option}' (no {path}); "
            f"available: {', '.join(fragment_options(group))}"
        )
    return _read_yaml(path)


def _fragment_layers(group: str, option: str, chain: tuple[str, ...] = ()) -> list[dict]:
    """The fragment `group/option` preceded by the fragments its own `defaults:` names (recursively)."""
    name = f"{group}/{option}"
    if name in chain:
        raise ConfigError(f"fragment {name} includes itself: {' -> '.join([*chain, name])}")
    content = _fragment(group, option)
    nested = _parse_defaults(content.pop("defaults", []), f"experiments/base/{name}.yaml")
    layers = [
        layer
        for nested_group, options in nested.items()
        for nested_option in options
        for layer in _fragment_layers(nested_group, nested_option, (*chain, name))
    ]
    return [*layers, content]


def _parse_defaults(defaults: list, source) -> dict[str, list[str]]:
    """`defaults:` entries are `{group: option}` or `{group: [option, ...]}` mappings; keep their order."""
    selected: dict[str, list[str]] = {}
    for entry in defaults:
        options = next(iter(entry.values())) if isinstance(entry, dict) and len(entry) == 1 else None
        options = options if isinstance(options, list) else [options]
        if options == [None] or not options or any(isinstance(o, dict | list) for o in options):
            raise ConfigError(
                f"{source}: each `defaults:` entry must look like `- group: option` or "
                f"`- group: [option, ...]`, got {entry!r}"
            )
        ((group, _),) = entry.items()
        selected[str(group)] = [str(o) for o in options]
    return selected


def _swap_options(option: str) -> list[str]:
    """`model=x3d` -> [x3d]; `callbacks=[checkpoint,early_stopping]` -> both names."""
    parsed = _parse_value(option)
    return [str(o) for o in parsed] if isinstance(parsed, list) else [option]


def _parse_value(text: str):
    try:
        return yaml.load(text, Loader=_Loader) if text != "" else ""
    except yaml.YAMLError:
        return text


def _all_keys(node, prefix: str = "") -> list[str]:
    keys = []
    if isinstance(node, DictConfig):
        for key in node.keys():
            full = f"{prefix}{key}"
            keys.append(full)
            child = node._get_node(key)
            if isinstance(child, DictConfig):
                keys.extend(_all_keys(child, full + "."))
    return keys


def _key_exists(cfg: DictConfig, dotted: str) -> bool:
    parent_key, _, leaf = dotted.rpartition(".")
    parent = OmegaConf.select(cfg, parent_key) if parent_key else cfg
    return isinstance(parent, DictConfig) and leaf in parent


# Sections whose keys reach code that checks them itself (the model registry checks a model's arguments,
# Lightning the Trainer's, each writer its options; extra_copies is keyed by class name), so `+key=value`
# may add a key there. Every other section is read as a fixed set of keys: an added key would be ignored.
OPEN_SECTIONS = ("model", "trainer", "data.synthetic", "data.extra_copies")


def _may_add(key: str) -> bool:
    return any(key.startswith(f"{section}.") for section in OPEN_SECTIONS)


def _closest_keys(cfg: DictConfig, key: str) -> str:
    sections = {key.rsplit(".", n)[0] for n in range(1, key.count(".") + 1)}  # its own parents say nothing
    close = difflib.get_close_matches(key, [k for k in _all_keys(cfg) if k not in sections], n=3, cutoff=0.5)
    return f" Closest valid keys: {', '.join(close)}." if close else ""


def _unknown_key_error(cfg: DictConfig, key: str, source: str) -> ConfigError:
    # `+` is suggested only where an added key is checked by the code that reads it.
    adding = f" Use +{key}=VALUE to add a new key." if _may_add(key) else ""
    return ConfigError(f"{source}: unknown config key '{key}'.{_closest_keys(cfg, key)}{adding}")


def _refuse_addition(cfg: DictConfig, key: str, source: str) -> ConfigError:
    hint = _closest_keys(cfg, key)
    return ConfigError(
        f"{source}: '{key}' cannot be added: its section is read as a fixed set of keys, so a new one "
        f"would be ignored.{hint} New keys may be added only under {', '.join(OPEN_SECTIONS)}"
    )


def apply_overrides(cfg: DictConfig, overrides: list[str]) -> DictConfig:
    """Apply `key=value`, `+key=value` and `~key` to a struct config, in order."""
    for item in overrides:
        if item.startswith("~"):
            key = item[1:].split("=", 1)[0]
            if not _key_exists(cfg, key):
                raise _unknown_key_error(cfg, key, f"override '{item}'")
            parent_key, _, leaf = key.rpartition(".")
            parent = OmegaConf.select(cfg, parent_key) if parent_key else cfg
            with _unlocked(cfg):
                del parent[leaf]
            continue
        if "=" not in item:
            raise ConfigError(f"override '{item}' is not of the form key=value, +key=value or ~key")
        key, value = item.split("=", 1)
        adding = key.startswith("+")
        key = key.lstrip("+")
        if not adding and not _key_exists(cfg, key):
            raise _unknown_key_error(cfg, key, f"override '{item}'")
        if adding and not _key_exists(cfg, key) and not _may_add(key):
            raise _refuse_addition(cfg, key, f"override '{item}'")
        with _unlocked(cfg):
            OmegaConf.update(cfg, key, _parse_value(value), merge=False, force_add=True)
    return cfg


class _unlocked:
    def __init__(self, cfg: DictConfig):
        self.cfg = cfg

    def __enter__(self):
        OmegaConf.set_struct(self.cfg, False)

    def __exit__(self, *exc):
        OmegaConf.set_struct(self.cfg, True)


def _merge_struct(base: DictConfig, delta: dict, source: str) -> DictConfig:
    """Merge `delta` into `base` refusing keys `base` does not have (catches typos in profiles)."""
    OmegaConf.set_struct(base, True)
    try:
        merged = OmegaConf.merge(base, delta)
    except Exception as err:  # omegaconf raises several error types for an unknown key
        raise ConfigError(f"{source}: {err}".splitlines()[0]) from err
    OmegaConf.set_struct(merged, False)
    return merged


def compose(
    defaults: dict[str, list[str]], body: dict, profile: str | None, overrides: list[str], name: str
) -> DictConfig:
    """Build the config from fragments + body + profile + overrides (see the module docstring)."""
    group_swaps = [o for o in overrides if _is_group_swap(o)]
    key_overrides = [o for o in overrides if o not in group_swaps]
    defaults = dict(defaults)
    swapped = set()
    for swap in group_swaps:
        group, option = swap.split("=", 1)
        if group == "profile":
            profile = None if option in ("", "null", "none") else option
        else:
            defaults[group] = _swap_options(option)
            swapped.add(group)

    cfg = OmegaConf.create({})
    for group, options in defaults.items():
        for option in options:
            for layer in _fragment_layers(group, option):
                cfg = OmegaConf.merge(cfg, layer)
    cfg = OmegaConf.merge(cfg, _without_keys_of_replaced_fragments(body, cfg, swapped))

    profiles = cfg.pop("profiles", OmegaConf.create({}))
    if profile is not None:
        if profile not in profiles:
            raise ConfigError(
                f"experiment '{name}' has no profile '{profile}'; "
                f"available: {', '.join(profiles.keys()) or 'none'}"
            )
        cfg = _merge_struct(cfg, OmegaConf.to_container(profiles[profile]), f"profile '{profile}'")
    cfg.profile = profile
    cfg.exp = name
    _record_synthetic_home(cfg)
    OmegaConf.set_struct(cfg, True)
    return apply_overrides(cfg, key_overrides)


def _record_synthetic_home(cfg: DictConfig) -> None:
    """Pin where the experiment itself (with its profile) keeps its synthetic data, before any
    command-line override: echolab generates data only there, so a mistyped data.root is an error,
    not a folder to fill with synthetic videos (data/sources.py)."""
    synthetic = OmegaConf.select(cfg, "data.synthetic")
    if isinstance(synthetic, DictConfig):
        synthetic.setdefault("root", cfg.data.root)
        synthetic.setdefault("regenerate", False)


def _without_keys_of_replaced_fragments(body: dict, fragments: DictConfig, swapped: set[str]) -> dict:
    """Drop the body's keys in a swapped group that the new fragments do not define.

    `model=x3d` on an experiment whose body tunes `model.backbone` for its own model must give X3D
    with its fragment's arguments, not X3D plus a backbone it does not take.
    """
    body = dict(body)
    for group in swapped:
        if isinstance(body.get(group), dict) and group in fragments:
            body[group] = {k: v for k, v in body[group].items() if k in fragments[group]}
    return body


def _is_group_swap(override: str) -> bool:
    key, sep, _ = override.partition("=")
    return (
        bool(sep)
        and not key.startswith(("+", "~"))
        and "." not in key
        and (key == "profile" or key in fragment_groups())
    )


def load_experiment(exp: str, overrides: list[str] = (), *, add: dict[str, str] | None = None) -> DictConfig:
    """The resolved config of experiment `exp` (a name in experiments/ or a YAML path).

    `add`: fragments a command brings (`echolab probe` adds `{"probe": "default"}`), composed after the
    experiment's own unless the experiment lists that group itself."""
    path = named_yaml(exp, "", "experiment")
    body = _read_yaml(path)
    defaults = _parse_defaults(body.pop("defaults", []), path)
    for group, option in (add or {}).items():
        defaults.setdefault(group, [option])
    profile = body.pop("profile", None)
    cfg = compose(defaults, body, profile, list(overrides), name=path.stem)
    _check_resolvable(cfg, str(path))
    return cfg


def load_stored_experiment(stored: dict, overrides: list[str] = ()) -> DictConfig:
    """The config a checkpoint was trained with (checkpoints.stored_experiment), plus key overrides."""
    swaps = [o for o in overrides if _is_group_swap(o)]
    if swaps:
        raise ConfigError(
            f"{', '.join(swaps)} swaps a fragment or profile, which needs the experiment file: pass exp=NAME"
        )
    cfg = OmegaConf.create(stored)
    OmegaConf.set_struct(cfg, True)
    return apply_overrides(cfg, list(overrides))


def load_fragment(group: str, option: str, overrides: list[str] = ()) -> DictConfig:
    """A config made of one fragment (e.g. `data=ev9v` for data-summary) plus overrides."""
    cfg = compose({group: [option]}, {}, None, list(overrides), name=f"{group}/{option}")
    _check_resolvable(cfg, f"{group}/{option}")
    return cfg


def _check_resolvable(cfg: DictConfig, source: str) -> None:
    try:
        OmegaConf.to_container(cfg, resolve=True)
    except Exception as err:
        raise ConfigError(f"{source}: cannot resolve an interpolation: {err}".splitlines()[0]) from err


def to_plain(node) -> dict | list:
    """A resolved plain-Python copy (what tasks and data modules receive)."""
    if isinstance(node, DictConfig | ListConfig):
        return OmegaConf.to_container(node, resolve=True)
    return node
