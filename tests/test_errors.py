"""The one wording of an unknown option."""

import pytest

from echolab.errors import ConfigError, check_choice


def test_a_known_choice_passes_and_an_unknown_one_names_the_closest_and_every_choice():
    check_choice("data.sampler", "uncertainty", ["random", "balanced", "uncertainty"])
    with pytest.raises(ConfigError) as error:
        check_choice("data.sampler", "uncertainity", ["random", "balanced", "uncertainty"])
    assert str(error.value) == (
        "data.sampler 'uncertainity' is unknown (closest: uncertainty); choose one of random, balanced, uncertainty"
    )


def test_numbers_are_named_as_numbers_and_a_far_value_gets_no_hint():
    with pytest.raises(ConfigError, match=r"^slowfast: depth 18 is unknown; choose one of 50, 101$"):
        check_choice("slowfast: depth", 18, (50, 101))
