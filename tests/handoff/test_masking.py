"""How shopper data looks to operators of external kinds (README: Roles and scopes)."""

from __future__ import annotations

import pytest

from relevo.handoff.masking import mask_email, mask_identifier, mask_name, mask_phone


@pytest.mark.parametrize(("shown", "masked"), [
    ("+34 612 345 672", "+34 6•• ••• ••2"),
    ("+34612345672", "+346•••••••2"),
    ("612 345 672", "6•• ••• ••2"),
    ("1234", "•••4"),  # too short to show its start
    ("", "•••"),
])
def test_phone_numbers_keep_the_country_code_a_first_and_a_last_digit(
    shown: str, masked: str,
) -> None:
    assert mask_phone(shown) == masked


@pytest.mark.parametrize(("shown", "masked"), [
    ("ana.garcia@example.com", "a•••@example.com"),
    ("whatsapp:+34612345672", "whatsapp:+346•••••••2"),
    ("482913377", "4•••••••7"),  # a Telegram user id
    ("v_8f2c1d9e", "v•••e"),  # a web visitor id
    ("ab", "•••"),
])
def test_identifiers_are_masked_by_what_they_look_like(shown: str, masked: str) -> None:
    assert (mask_email if "@" in shown else mask_identifier)(shown) == masked


@pytest.mark.parametrize(("shown", "masked"), [
    ("María García López", "María G. L."),
    ("Lucía", "Lucía"),
    ("+34 612 345 672", "+34 6•• ••• ••2"),  # a number used as a name
    ("ana@example.com", "a•••@example.com"),
])
def test_names_keep_the_first_name_and_initials(shown: str, masked: str) -> None:
    assert mask_name(shown) == masked
