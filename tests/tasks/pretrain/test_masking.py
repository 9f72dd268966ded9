"""Tube masks: the same patches in every time slot, the right count, and seeded reproducibility."""

import pytest
import torch

from echolab.errors import ConfigError
from echolab.tasks.pretrain.masking import hidden_tokens, kept_per_slot, tube_mask

GRID = (4, 6, 6)


@pytest.mark.parametrize("kind", ["random", "blocks"])
def test_a_tube_keeps_the_same_patches_in_every_slot(kind):
    keep = tube_mask(5, GRID, 0.75, kind=kind, generator=torch.Generator().manual_seed(0))
    per_slot = kept_per_slot(36, 0.75)
    assert per_slot == 9 and keep.shape == (5, 4 * 9)
    assert torch.equal(keep, keep.sort(dim=1).values)
    slots = keep.view(5, 4, 9)
    assert torch.equal(slots // 36, torch.arange(4)[None, :, None].expand(5, 4, 9))
    spatial = slots % 36
    assert torch.equal(spatial, spatial[:, :1].expand(-1, 4, -1))  # the same patches in every slot
    assert all(len(torch.unique(row)) == 9 for row in spatial[:, 0])


def test_masks_differ_between_samples_and_repeat_under_a_seed():
    first = tube_mask(4, GRID, 0.9, generator=torch.Generator().manual_seed(3))
    again = tube_mask(4, GRID, 0.9, generator=torch.Generator().manual_seed(3))
    assert torch.equal(first, again)
    assert len({tuple(row.tolist()) for row in first}) == 4


def test_blocks_hide_contiguous_regions():
    # Hidden patches of a block mask have more hidden 4-neighbours than those of a random mask.
    def neighbours(kind):
        keep = tube_mask(200, (1, 8, 8), 0.5, kind=kind, generator=torch.Generator().manual_seed(0))
        hidden = hidden_tokens(keep, 64).view(200, 8, 8).float()
        around = torch.zeros_like(hidden)
        around[:, 1:] += hidden[:, :-1]
        around[:, :-1] += hidden[:, 1:]
        around[:, :, 1:] += hidden[:, :, :-1]
        around[:, :, :-1] += hidden[:, :, 1:]
        return (around * hidden).sum() / hidden.sum()

    assert neighbours("blocks") > neighbours("random") + 0.5


def test_hidden_tokens_is_the_complement_of_keep():
    hidden = hidden_tokens(torch.tensor([[0, 3], [1, 2]]), 5)
    assert hidden.tolist() == [[False, True, True, False, True], [True, False, False, True, True]]


def test_bad_ratio_and_kind_are_refused():
    with pytest.raises(ConfigError, match=r"mask ratio must be in \[0, 1\), got 1.0"):
        tube_mask(1, GRID, 1.0)
    with pytest.raises(ConfigError, match="task.mask.kind 'tubes' is unknown.*choose one of random, blocks"):
        tube_mask(1, GRID, 0.5, kind="tubes")
    assert kept_per_slot(36, 0.999) == 1  # never an empty view
