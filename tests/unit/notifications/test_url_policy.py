"""Webhook URL policy: https and public addresses in prod, loopback allowed in dev and test."""

from __future__ import annotations

import pytest

from notifications_api.adapters.webhooks import pinned_targets
from notifications_api.domain.errors import BlockedWebhookAddress, InvalidWebhookUrl
from notifications_api.domain.urls import UrlPolicy, check_resolved_addresses, check_webhook_url

PROD = UrlPolicy(allow_http=False, allow_private=False)
DEV = UrlPolicy(allow_http=True, allow_private=True)


class TestProductionPolicy:
    def test_public_https_url_is_accepted(self) -> None:
        check_webhook_url("https://hooks.jobcenter-en.example.de/handover?x=1", PROD)

    @pytest.mark.parametrize(
        "url",
        [
            "http://hooks.example.de/x",
            "ftp://hooks.example.de/x",
            "https://user:pw@hooks.example.de/x",
            "https://localhost/x",
            "https://api.localhost/x",
            "https://intranet/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://192.168.0.10/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://[fd00::1]/x",
            # IPv6 forms that embed or map an IPv4 address, public or not.
            "https://[::7f00:1]/x",
            "https://[64:ff9b::7f00:1]/x",
            "https://[64:ff9b:1::a00:1]/x",
            "https://[2002:7f00:1::]/x",
            "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x",
            "https://[2a00:1450::200:5efe:a00:1]/x",
            "https://[::ffff:8.8.8.8]/x",
            "https://[64:ff9b::808:808]/x",
            "https://0.0.0.0/x",
            "https://hooks.example.de/x#frag",
            "https:///nohost",
            "https://hooks.example.de:99999/x",
        ],
    )
    def test_unsafe_urls_are_refused(self, url: str) -> None:
        with pytest.raises(InvalidWebhookUrl):
            check_webhook_url(url, PROD)

    @pytest.mark.parametrize(
        "url",
        [
            # Every IPv6 form that embeds or maps an IPv4 address, in hexadecimal and dotted
            # notation, with a private and a public IPv4 address inside.
            "https://[::ffff:127.0.0.1]/x",  # IPv4-mapped (RFC 4291)
            "https://[::ffff:7f00:1]/x",
            "https://[0:0:0:0:0:ffff:8.8.8.8]/x",
            "https://[::127.0.0.1]/x",  # IPv4-compatible (RFC 4291, deprecated)
            "https://[::8.8.8.8]/x",
            "https://[::ffff:0:127.0.0.1]/x",  # IPv4-translated (SIIT, RFC 2765)
            "https://[::ffff:0:808:808]/x",
            "https://[64:ff9b::127.0.0.1]/x",  # NAT64 well-known prefix (RFC 6052)
            "https://[64:ff9b::8.8.8.8]/x",
            "https://[64:ff9b:1::7f00:1]/x",  # NAT64 local-use prefix (RFC 8215)
            "https://[64:ff9b:1:808:808::]/x",
            "https://[2002:c0a8:1::1]/x",  # 6to4 (RFC 3056): 192.168.0.1
            "https://[2002:808:808::1]/x",
            "https://[2001:0:7f00:1::1]/x",  # Teredo (RFC 4380)
            "https://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]/x",
            "https://[::5efe:10.0.0.1]/x",  # ISATAP interface identifiers (RFC 5214)
            "https://[2a00:1450::5efe:8.8.8.8]/x",
            "https://[2a00:1450::200:5efe:c0a8:1]/x",
        ],
    )
    def test_ipv6_forms_carrying_an_ipv4_address_are_refused(self, url: str) -> None:
        with pytest.raises(InvalidWebhookUrl):
            check_webhook_url(url, PROD)
        # The same address, as a name's DNS answer, is blocked at delivery.
        address = url.removeprefix("https://[").removesuffix("]/x")
        with pytest.raises(BlockedWebhookAddress):
            check_resolved_addresses([address], PROD)

    @pytest.mark.parametrize(
        "addresses",
        [
            ["10.0.0.5"],
            ["8.8.8.8", "127.0.0.1"],
            ["fe80::1%eth0"],
            ["8.8.8.8", "::ffff:7f00:1"],
            ["2002:a00:1::1"],
            ["64:ff9b::a9fe:a9fe"],
        ],
    )
    def test_name_resolving_to_a_private_address_is_blocked(self, addresses: list[str]) -> None:
        with pytest.raises(BlockedWebhookAddress):
            check_resolved_addresses(addresses, PROD)

    def test_public_resolution_passes(self) -> None:
        check_resolved_addresses(["8.8.8.8", "2001:4860:4860::8888"], PROD)

    @pytest.mark.parametrize(
        "url", ["https://[2001:4860:4860::8888]/x", "https://8.8.8.8/x", "https://[2a00:1450::1]/x"]
    )
    def test_public_address_literals_pass(self, url: str) -> None:
        check_webhook_url(url, PROD)


class TestDevPolicy:
    @pytest.mark.parametrize(
        "url", ["http://127.0.0.1:9000/hook", "http://localhost:8080/x", "https://10.0.0.1/x"]
    )
    def test_loopback_and_http_are_allowed(self, url: str) -> None:
        check_webhook_url(url, DEV)
        check_resolved_addresses(["127.0.0.1"], DEV)

    def test_credentials_are_refused_even_in_dev(self) -> None:
        with pytest.raises(InvalidWebhookUrl):
            check_webhook_url("http://a:b@127.0.0.1/x", DEV)


class TestPinnedTargets:
    """The request goes to each checked address in turn, carrying the original name."""

    def test_one_target_per_address_with_host_and_sni(self) -> None:
        targets = pinned_targets(
            "https://hooks.example.de/in?x=1", ["203.0.113.7", "2001:db8::7", "203.0.113.7"]
        )
        assert [t.url for t in targets] == [
            "https://203.0.113.7:443/in?x=1",
            "https://[2001:db8::7]:443/in?x=1",
        ]
        assert {(t.host_header, t.sni_hostname) for t in targets} == {
            ("hooks.example.de", "hooks.example.de")
        }

    def test_a_non_default_port_stays_in_host_and_a_scope_id_is_dropped(self) -> None:
        [target] = pinned_targets("http://receiver.test:8080/hook", ["fe80::1%eth0"])
        assert target.url == "http://[fe80::1]:8080/hook"
        assert target.host_header == "receiver.test:8080"
