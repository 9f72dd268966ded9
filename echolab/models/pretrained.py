"""Pretrained weights: downloaded where there is a network, read from the local cache where there is
not, and otherwise a prompt EcholabError that says what to do, never a hang.

timm weights come from the Hugging Face hub (cache: HF_HOME); torchvision and pytorchvideo weights
from plain URLs (cache: TORCH_HOME). huggingface_hub already bounds each request (HF_HUB_ETAG_TIMEOUT,
HF_HUB_DOWNLOAD_TIMEOUT, 10 s by default, left to the user) but retries an unreachable hub with
back-off for each candidate file: about 47 s per model with no network, even when DNS fails at once.
`torch.hub` opens URLs with no timeout at all.
"""

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import huggingface_hub
import timm
import torch
from huggingface_hub import constants as hf_constants
from torch import nn

from echolab.errors import EcholabError

# Per socket operation: long enough for a slow server, short enough that a black-holed network fails in 20 s.
URL_SOCKET_TIMEOUT_S = 20.0


def create_timm_model(name: str, *, pretrained: bool, **kwargs) -> nn.Module:
    """timm.create_model, with pretrained weights taken from the cache without retries when the hub is unreachable."""
    if not pretrained:
        return timm.create_model(name, pretrained=False, **kwargs)
    # Some timm weights still come from plain URLs through torch.hub, hence the socket timeout too.
    with (
        _socket_timeout(URL_SOCKET_TIMEOUT_S),
        _hub_offline_unless_reachable(),
        download_errors_explained(name),
    ):
        return timm.create_model(name, pretrained=True, **kwargs)


def load_state_dict_from_url(url: str, name: str) -> dict:
    """A checkpoint from `url` via the torch hub cache, downloading it with a bounded socket timeout."""
    with _socket_timeout(URL_SOCKET_TIMEOUT_S), download_errors_explained(name):
        return torch.hub.load_state_dict_from_url(url, map_location="cpu", progress=True)


def load_all_but_head(model: nn.Module, state_dict: dict, head_prefix: str, name: str) -> None:
    """Load pretrained weights into every layer except the classifier, whose classes differ."""
    kept = {key: value for key, value in state_dict.items() if not key.startswith(head_prefix)}
    missing, unexpected = model.load_state_dict(kept, strict=False)
    missing = [key for key in missing if not key.startswith(head_prefix)]
    if missing or unexpected:
        raise EcholabError(
            f"pretrained weights for {name} do not match the model: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}. The cached file may be from another version; delete it and retry."
        )


@contextmanager
def download_errors_explained(name: str) -> Iterator[None]:
    """Turn a failed download (connection, DNS, timeout, HTTP error, not in the offline cache) into an EcholabError."""
    # URLError, socket timeouts, ConnectionError and huggingface_hub's errors are all OSErrors.
    try:
        yield
    except OSError as error:
        raise EcholabError(
            f"could not download pretrained weights for {name} (no network?). Set model.pretrained=false, "
            "or pre-download them into the HF/torch cache on a machine with internet (HF_HOME / TORCH_HOME). "
            f"Cause: {type(error).__name__}: {error}"
        ) from error


def hub_reachable() -> bool:
    """Whether one request to the Hugging Face endpoint succeeds, without huggingface_hub's retries."""
    try:
        huggingface_hub.get_session().head(hf_constants.ENDPOINT, timeout=hf_constants.HF_HUB_ETAG_TIMEOUT)
    except Exception:  # whatever the failure, there is no answer: the caller falls back to the cache
        return False
    return True


@contextmanager
def _hub_offline_unless_reachable() -> Iterator[None]:
    """Put huggingface_hub in offline mode for the block if the hub cannot be reached.

    Offline, a cached file is returned at once and a missing one fails at once, instead of the
    back-off retries huggingface_hub makes when it cannot connect and has nothing cached.
    """
    if hf_constants.HF_HUB_OFFLINE or hub_reachable():
        yield
        return
    hf_constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        hf_constants.HF_HUB_OFFLINE = False


@contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    """Bound every socket opened in the block; urllib (used by torch.hub) otherwise waits forever."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)
