"""The one registry of models: names -> factories, so configs and checkpoints refer to models by name.

A factory is a class or function that takes `num_classes` (a classifier; an encoder such as the
pretraining video ViT takes none) plus keyword arguments with plain defaults. Keeping every argument
a plain value lets a LightningModule store them as hyper-parameters and rebuild the model from a
checkpoint alone.
"""

import difflib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from echolab.errors import ConfigError, EcholabError


@dataclass(frozen=True)
class _Entry:
    factory: Callable[..., nn.Module]
    task: str | None


_REGISTRY: dict[str, _Entry] = {}


def register_model(name: str, *, task: str | None = None):
    """Decorator registering a model class or factory under `name`, optionally tagged with a task."""

    def decorator(factory):
        existing = _REGISTRY.get(name)
        # Re-running the same definition (a notebook's autoreload, importlib.reload) replaces it;
        # a different definition under a taken name is a real clash.
        if existing is not None and _qualified_name(existing.factory) != _qualified_name(factory):
            raise EcholabError(
                f"model name '{name}' is already registered by {_qualified_name(existing.factory)}; "
                f"choose another name for {_qualified_name(factory)}"
            )
        _REGISTRY[name] = _Entry(factory, task)
        return factory

    return decorator


def list_models(task: str | None = None) -> list[str]:
    """Registered model names, sorted; only those tagged with `task` when it is given."""
    return sorted(name for name, entry in _REGISTRY.items() if task is None or entry.task == task)


def create_model(
    name: str, *, num_classes: int | None = None, task: str | None = None, **kwargs: Any
) -> nn.Module:
    """Build the model registered as `name` with `num_classes` outputs and the given arguments;
    with `task`, refuse a model registered for another task (a keyframe model in a view experiment).
    An encoder without a classifier (a pretraining encoder) takes no `num_classes`."""
    entry = _lookup(name)
    if task is not None and entry.task != task:
        raise ConfigError(
            f"model '{name}' is a {entry.task} model, but this is a {task} experiment; "
            f"{task} models: {', '.join(list_models(task))}"
        )
    factory = entry.factory
    classifier = "num_classes" in inspect.signature(factory).parameters
    if not classifier and num_classes is not None:
        raise ConfigError(f"model '{name}' is an encoder without a classifier; it takes no num_classes")
    if classifier and (isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1):
        raise ConfigError(f"model '{name}': num_classes must be a positive integer, got {num_classes!r}")
    arguments, accepts_any = _arguments(factory)
    unknown = sorted(set(kwargs) - set(arguments))
    if unknown and not accepts_any:
        raise ConfigError(
            f"model '{name}' got unknown argument(s) {', '.join(unknown)}; it accepts: {_describe(arguments)}"
        )
    missing = [
        arg for arg, p in arguments.items() if p.default is inspect.Parameter.empty and arg not in kwargs
    ]
    if missing:
        raise ConfigError(
            f"model '{name}' needs argument(s) {', '.join(missing)}; it accepts: {_describe(arguments)}"
        )
    return factory(**({"num_classes": num_classes} if classifier else {}), **kwargs)


def model_info(name: str) -> dict[str, Any]:
    """Name, task, one-line summary and accepted arguments (with their defaults) of a registered model."""
    entry = _lookup(name)
    arguments, _ = _arguments(entry.factory)
    doc = inspect.getdoc(entry.factory) or ""
    return {
        "name": name,
        "task": entry.task,
        "summary": doc.splitlines()[0] if doc else "",
        "arguments": {
            arg: p.default for arg, p in arguments.items() if p.default is not inspect.Parameter.empty
        },
        "required": [arg for arg, p in arguments.items() if p.default is inspect.Parameter.empty],
    }


def _lookup(name: str) -> _Entry:
    if name in _REGISTRY:
        return _REGISTRY[name]
    close = difflib.get_close_matches(name, list(_REGISTRY), n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ConfigError(f"unknown model '{name}'.{hint} Registered models: {', '.join(list_models())}")


def _arguments(factory: Callable[..., nn.Module]) -> tuple[dict[str, inspect.Parameter], bool]:
    """The factory's named arguments other than num_classes, and whether it also takes **kwargs."""
    parameters = inspect.signature(factory).parameters.values()
    named = {
        p.name: p
        for p in parameters
        if p.name != "num_classes" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    return named, any(p.kind is p.VAR_KEYWORD for p in parameters)


def _describe(arguments: dict[str, inspect.Parameter]) -> str:
    described = [arg if p.default is p.empty else f"{arg}={p.default!r}" for arg, p in arguments.items()]
    return ", ".join(described) or "(no arguments)"


def _qualified_name(factory: Callable[..., Any]) -> str:
    return f"{factory.__module__}.{factory.__qualname__}"
