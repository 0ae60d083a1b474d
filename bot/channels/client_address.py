"""Which address a customer's message came from: the socket's peer, or what a trusted proxy says it saw.

Behind a proxy (HAProxy in the scaled topology, ``deploy/haproxy.cfg``) every
request comes from the proxy's address, and the proxy appends the address it
was reached from to ``X-Forwarded-For``. Anyone can send that header, so it
is read only when the peer is one of ``TRUSTED_PROXIES`` (addresses or
networks, space-separated), and from the right: the last entry was written
by the peer; an entry that is itself a trusted proxy passes on to the one
before it; the first address that is not a trusted proxy is the client.
Whatever stands to its left was written by the client and is ignored.

Sanic's own ``PROXIES_COUNT`` counts proxies instead of naming them, and
Rasa builds the app; so the channels that limit per address ask here, and so
does the team's web app for its login throttle: one rule, one setting.
"""
import ipaddress
from typing import Any, List, Optional, Sequence, Text, Union

from pydantic import Field
from sanic.request import Request

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def trusted_proxies_setting() -> Any:
    """The ``TRUSTED_PROXIES`` field of every process's settings that reads client addresses."""
    # Addresses or networks, space-separated; empty: the socket's peer is the client.
    return Field(default="", env="TRUSTED_PROXIES")


def trusted_networks(spec: Text) -> List[Network]:
    """The proxies of a ``TRUSTED_PROXIES`` value (``10.0.0.5 10.1.0.0/16 ::1``).

    Raises:
        ValueError: an item is neither an address nor a network.
    """
    return [ipaddress.ip_network(item, strict=False) for item in spec.split()]


def _address(text: Text) -> Optional[Address]:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def is_within(address: Text, networks: Sequence[Network]) -> bool:
    """Whether ``address`` (as :func:`client_address` gives it) lies in one of ``networks``."""
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in networks)


def client_address(peer: Text, forwarded_for: Sequence[Text], trusted: Sequence[Network]) -> Text:
    """The client's address, as the module says.

    Args:
        peer: The socket's peer address.
        forwarded_for: Every ``X-Forwarded-For`` header of the request, in order.
        trusted: The trusted proxies.
    """
    address = _address(peer)
    if address is None:
        return peer
    entries = [entry for header in forwarded_for for entry in header.split(",")]
    while entries and any(address in network for network in trusted):
        previous = _address(entries.pop())
        if previous is None:  # not an address: the proxy itself is all we know
            break
        address = previous
    return str(address)


def request_client_address(request: Request, trusted: Sequence[Network]) -> Text:
    """The client's address of a request (its peer's, unless the peer is a trusted proxy)."""
    return client_address(request.ip, request.headers.getall("x-forwarded-for", []), trusted)
