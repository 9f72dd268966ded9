"""SequenceLSTM, the LSTM over per-frame features shared by cnn_lstm, stfm, resnet_lstm and cnn3d_lstm."""

import warnings

import pytest
import torch
from torch import nn

from echolab.errors import ConfigError
from echolab.models.complexity import gflops_per_clip
from echolab.models.sequence_lstm import SequenceLSTM

BATCH, FRAMES, FEATURES, HIDDEN = 2, 5, 6, 4


@pytest.fixture
def sequence() -> torch.Tensor:
    return torch.randn(BATCH, FRAMES, FEATURES, generator=torch.Generator().manual_seed(0))


def plain_twin(layer: SequenceLSTM) -> nn.LSTM:
    """An nn.LSTM with the same shape and weights, to read the raw outputs from."""
    twin = nn.LSTM(
        layer.input_size,
        layer.hidden_size,
        num_layers=layer.num_layers,
        batch_first=True,
        bidirectional=layer.bidirectional,
    )
    twin.load_state_dict(layer.state_dict())
    return twin.eval()


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [1, 2])
def test_readout_shapes(sequence, layers, bidirectional):
    size = HIDDEN * (2 if bidirectional else 1)
    expected = {"frames": (BATCH, FRAMES, size), "last": (BATCH, size), "mean": (BATCH, size)}
    for readout, shape in expected.items():
        layer = SequenceLSTM(FEATURES, HIDDEN, layers=layers, bidirectional=bidirectional, readout=readout)
        assert layer.output_size == size
        assert layer(sequence).shape == shape


def seeded_bidirectional(readout: str, layers: int) -> SequenceLSTM:
    torch.manual_seed(0)  # the same weights for every readout
    return SequenceLSTM(FEATURES, HIDDEN, layers=layers, bidirectional=True, readout=readout).eval()


@pytest.mark.parametrize("layers", [1, 2])
def test_readouts_match_the_raw_lstm_outputs(sequence, layers):
    with torch.no_grad():
        raw, _ = plain_twin(seeded_bidirectional("frames", layers))(sequence)
        assert torch.equal(seeded_bidirectional("frames", layers)(sequence), raw)
        assert torch.equal(seeded_bidirectional("mean", layers)(sequence), raw.mean(dim=1))
        forward_after_last_frame = raw[:, -1, :HIDDEN]
        backward_after_first_frame = raw[:, 0, HIDDEN:]
        expected = torch.cat([forward_after_last_frame, backward_after_first_frame], dim=1)
        assert torch.equal(seeded_bidirectional("last", layers)(sequence), expected)


def test_unidirectional_last_is_the_last_frames_output(sequence):
    torch.manual_seed(0)
    layer = SequenceLSTM(FEATURES, HIDDEN, layers=2, readout="last").eval()
    with torch.no_grad():
        raw, _ = plain_twin(layer)(sequence)
        assert torch.equal(layer(sequence), raw[:, -1])


def test_initialisation_gives_forget_gate_bias_exactly_one():
    layer = SequenceLSTM(FEATURES, HIDDEN, layers=2, bidirectional=True)
    for suffix in ("l0", "l0_reverse", "l1", "l1_reverse"):
        bias = getattr(layer, f"bias_ih_{suffix}") + getattr(layer, f"bias_hh_{suffix}")
        expected = torch.zeros(4 * HIDDEN)
        expected[HIDDEN : 2 * HIDDEN] = 1  # gate order: input, forget, cell, output
        assert torch.equal(bias, expected)
        recurrent = getattr(layer, f"weight_hh_{suffix}")  # (4 gates * hidden, hidden), orthogonal columns
        assert torch.allclose(recurrent.T @ recurrent, torch.eye(HIDDEN), atol=1e-5)


def test_dropout_acts_only_between_layers(sequence):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PyTorch warns about dropout on a single layer
        single = SequenceLSTM(FEATURES, HIDDEN, layers=1, dropout=0.5).train()
    assert single.dropout == 0.0
    assert torch.equal(single(sequence), single(sequence))  # no randomness in training mode

    stacked = SequenceLSTM(FEATURES, HIDDEN, layers=2, dropout=0.5).train()
    assert stacked.dropout == 0.5
    assert not torch.equal(stacked(sequence), stacked(sequence))


def test_checkpoint_keys_are_those_of_a_plain_lstm():
    layer = SequenceLSTM(FEATURES, HIDDEN, layers=2, bidirectional=True)
    assert list(layer.state_dict()) == list(nn.LSTM(FEATURES, HIDDEN, 2, bidirectional=True).state_dict())


def test_flop_count_sees_the_lstm():
    layer = SequenceLSTM(FEATURES, HIDDEN, layers=2, bidirectional=True)
    plain = nn.LSTM(FEATURES, HIDDEN, num_layers=2, batch_first=True, bidirectional=True)
    shape = (1, FRAMES, FEATURES)
    expected = gflops_per_clip(plain, shape)
    assert expected > 0
    assert gflops_per_clip(layer, shape) == pytest.approx(expected)


def test_unknown_readout_is_refused():
    with pytest.raises(ConfigError, match="readout .* is unknown; choose one of"):
        SequenceLSTM(FEATURES, HIDDEN, readout="first")
