"""Models, built by name: `create_model("cnn_lstm", num_classes=9, backbone="resnet18")`.

Every module in this package is imported here, so a module that decorates a model with
@register_model is registered as soon as echolab.models is imported, with no list to update.
A subpackage imports its own model modules in its __init__.
"""

import importlib
import pkgutil

from echolab.models.registry import create_model, list_models, model_info, register_model

__all__ = ["create_model", "list_models", "model_info", "register_model"]

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
