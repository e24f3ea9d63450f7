"""Who is asking: the client's IP address, as far as it can be trusted.

The peer of the TCP connection, unless that peer is one of the configured
`trusted_proxies`: then X-Forwarded-For is read from the right (each proxy appends the
address it saw), skipping trusted proxies, and the first address that is not one is
the client. Anything a client could forge (the left part of the header, a header sent
straight to relevo) is never believed, so a rate limit keyed on this cannot be dodged.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Sequence[str]) -> tuple[Network, ...]:
    """`["10.0.0.0/8", "127.0.0.1"]` → networks; ValueError names a bad entry."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network") from None
    return tuple(networks)


def client_ip(peer: str | None, forwarded_for: str | None,
              trusted: Sequence[Network]) -> str:
    if peer is None:
        return "unknown"
    if not trusted or not _trusted(peer, trusted) or not forwarded_for:
        return peer
    client = peer
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage: stop at the last proxy that can be trusted to have added it
        client = str(address)
        if not any(address in network for network in trusted):
            break
    return client


def _trusted(peer: str, trusted: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in trusted)
