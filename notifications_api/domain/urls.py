"""Webhook URL policy: against server-side request forgery into internal networks."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from notifications_api.domain.errors import BlockedWebhookAddress, InvalidWebhookUrl

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2048
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


@dataclass(frozen=True)
class UrlPolicy:
    """What receivers may be: prod allows only https to public addresses."""

    allow_http: bool
    allow_private: bool


def check_webhook_url(url: str, policy: UrlPolicy) -> None:
    """Raise InvalidWebhookUrl unless the URL may receive webhooks under the policy."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl(f"URL longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidWebhookUrl("URL cannot be parsed") from exc
    allowed = ("https", "http") if policy.allow_http else ("https",)
    if parts.scheme not in allowed:
        raise InvalidWebhookUrl(f"URL scheme must be one of: {', '.join(allowed)}")
    if parts.username is not None or parts.password is not None:
        raise InvalidWebhookUrl("URL must not carry credentials")
    if parts.fragment:
        raise InvalidWebhookUrl("URL must not have a fragment")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise InvalidWebhookUrl("URL has no host")
    if port == 0:
        raise InvalidWebhookUrl("URL port must not be 0")
    if policy.allow_private:
        return
    single_label = "." not in host and ":" not in host
    if host in _LOCAL_NAMES or host.endswith(".localhost") or single_label:
        raise InvalidWebhookUrl("URL host must be a public name or address")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return  # a name: its addresses are checked when a delivery resolves it
    if not is_public_address(address):
        raise InvalidWebhookUrl("URL host must be a public address")


# IPv6 forms that carry an IPv4 address: IPv4-compatible and IPv4-mapped (RFC 4291),
# IPv4-translated (SIIT, RFC 2765), NAT64 (RFC 6052, RFC 8215), 6to4 (RFC 3056) and Teredo
# (RFC 4380). The IPv4 address inside may be
# private, a translator may reach it, and no receiver needs them: they are refused.
_CARRYING_IPV4 = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "::/96",
        "::ffff:0:0/96",
        "::ffff:0:0:0/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "2002::/16",
        "2001::/32",
    )
)
# ISATAP interface identifiers (RFC 5214): `0000:5efe` or `0200:5efe`, then the IPv4 address.
_ISATAP_MASK = 0xFDFFFFFF
_ISATAP_ID = 0x00005EFE


def carries_ipv4(address: ipaddress.IPv6Address) -> bool:
    """Whether an IPv6 address embeds or maps an IPv4 address."""
    if any(address in net for net in _CARRYING_IPV4):
        return True
    return (int(address) >> 32) & _ISATAP_MASK == _ISATAP_ID


def is_public_address(address: IPAddress) -> bool:
    """Whether the address is globally routable unicast and carries no IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address) and carries_ipv4(address):
        return False
    return address.is_global and not address.is_multicast


def check_resolved_addresses(addresses: list[str], policy: UrlPolicy) -> None:
    """Raise unless every address a webhook host resolved to is allowed."""
    if not addresses:
        raise BlockedWebhookAddress("host did not resolve")
    if policy.allow_private:
        return
    for raw in addresses:
        if not is_public_address(ipaddress.ip_address(raw.split("%", 1)[0])):
            raise BlockedWebhookAddress("host resolves to a non-public address")
