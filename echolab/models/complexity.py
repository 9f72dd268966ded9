"""Model size and compute: parameter counts and GFLOPs per clip, for comparing models in a benchmark table."""

from collections.abc import Sequence

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (only those with requires_grad when trainable_only=True)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def gflops_per_clip(model: nn.Module, input_shape: Sequence[int] = (1, 3, 16, 112, 112)) -> float:
    """Forward-pass GFLOPs for one input of `input_shape`, counting 1 multiply-add as 1 FLOP.

    That is the convention of fvcore, timm and the video papers (X3D, SlowFast, Video Swin), so
    numbers compare with published tables: ResNet-18 at 224 px is 1.8 GFLOPs. Counted with
    torch.utils.flop_counter.FlopCounterMode (which counts 2 per multiply-add, halved here) over
    convolutions, matrix products and attention; element-wise ops, norms and pooling are not counted.
    Pass a batch of 1 for "per clip". The model runs once in eval mode on zeros, then its mode is restored.
    """
    was_training = model.training
    # eval(): a training-mode forward would update batch-norm running statistics with the zero input.
    model.eval()
    device = next(model.parameters()).device
    counter = FlopCounterMode(display=False)
    recurrent = _RecurrentMacs(model, counter)
    try:
        with torch.no_grad(), counter, recurrent:
            model(torch.zeros(tuple(input_shape), device=device))
    finally:
        model.train(was_training)
    return (counter.get_total_flops() / 2 + recurrent.correction_macs) / 1e9


class _RecurrentMacs:
    """Counts LSTM/GRU/RNN layers from their shapes.

    Their fused kernels (oneDNN on CPU, cuDNN on GPU) are opaque to FlopCounterMode, which counts
    them as 0 there but as matrix products where they decompose; whatever it counted inside a
    recurrent layer is replaced by the exact count, so the result is the same on every backend.
    """

    _GATES = {nn.LSTM: 4, nn.GRU: 3, nn.RNN: 1}

    def __init__(self, model: nn.Module, counter: FlopCounterMode):
        self.counter = counter
        self.layers = [m for m in model.modules() if isinstance(m, tuple(self._GATES))]
        self.correction_macs = 0.0
        self._handles = []
        self._counted_before = 0

    def __enter__(self):
        for layer in self.layers:
            self._handles.append(layer.register_forward_pre_hook(self._before))
            self._handles.append(layer.register_forward_hook(self._after))
        return self

    def __exit__(self, *exc_info):
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _before(self, layer: nn.RNNBase, inputs) -> None:
        self._counted_before = self.counter.get_total_flops()

    def _after(self, layer: nn.RNNBase, inputs, output) -> None:
        counted_inside_macs = (self.counter.get_total_flops() - self._counted_before) / 2
        self.correction_macs += _recurrent_macs(layer, inputs[0]) - counted_inside_macs


def _recurrent_macs(layer: nn.RNNBase, sequence: torch.Tensor) -> float:
    """Multiply-adds of one recurrent layer stack over a (padded, not packed) input sequence."""
    if sequence.dim() == 2:  # unbatched (T, features)
        steps, batch = sequence.shape[0], 1
    elif layer.batch_first:
        batch, steps = sequence.shape[:2]
    else:
        steps, batch = sequence.shape[:2]
    gates = next(count for kind, count in _RecurrentMacs._GATES.items() if isinstance(layer, kind))
    directions = 2 if layer.bidirectional else 1
    state_size = layer.proj_size or layer.hidden_size
    input_size = layer.input_size
    macs = 0
    for _ in range(layer.num_layers):
        per_step = gates * layer.hidden_size * (input_size + state_size)
        if layer.proj_size:
            per_step += layer.hidden_size * layer.proj_size
        macs += directions * steps * batch * per_step
        input_size = state_size * directions
    return float(macs)
