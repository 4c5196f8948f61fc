"""Which site languages are written right to left."""

import pytest

from cms.text.direction import direction


@pytest.mark.parametrize("language", ["ar", "he", "fa", "ur", "he-IL", "ar-EG", "AR", "yi", "ps", "sd", "ckb", "dv"])
def test_right_to_left_languages(language):
    assert direction(language) == "rtl"


@pytest.mark.parametrize("language", ["en", "ru", "el", "zh-Hans", "ja", "pt-BR", "", "arn", "hex"])
def test_other_languages_are_left_to_right(language):
    assert direction(language) == "ltr"
