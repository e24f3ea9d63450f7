"""The client's address: X-Forwarded-For is believed only as far as trusted proxies go."""

from __future__ import annotations

import os

import pytest

from relevo.app.settings import load_settings
from relevo.bot.clientip import client_ip, parse_networks
from relevo.bot.config import ConfigError

PROXIES = parse_networks(["127.0.0.1", "10.0.0.0/8"])


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not a proxy: the header is ignored
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "1.2.3.4", "1.2.3.4"),
        # A client's own forged entry on the left is not believed.
        ("127.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.7", "1.2.3.4"),
        ("127.0.0.1", "10.0.0.8, 10.0.0.7", "10.0.0.8"),  # proxies all the way
        ("127.0.0.1", "1.2.3.4, rubbish", "127.0.0.1"),  # garbage: the last proxy
        ("127.0.0.1", " 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_the_client_is_the_first_untrusted_hop_from_the_right(
    peer: str, forwarded_for: str | None, expected: str
) -> None:
    assert client_ip(peer, forwarded_for, PROXIES) == expected


def test_a_bad_trusted_proxy_stops_start_up_naming_the_key() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(os.devnull, trusted_proxies=["10.0.0.0/8", "the load balancer"])
    assert str(caught.value).startswith("trusted_proxies")
    assert "'the load balancer' is not an IP address or network" in str(caught.value)
