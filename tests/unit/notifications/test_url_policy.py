"""Webhook URL policy: https and public addresses in prod, loopback allowed in dev and test."""

from __future__ import annotations

import pytest

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
        "addresses", [["10.0.0.5"], ["8.8.8.8", "127.0.0.1"], ["fe80::1%eth0"]]
    )
    def test_name_resolving_to_a_private_address_is_blocked(self, addresses: list[str]) -> None:
        with pytest.raises(BlockedWebhookAddress):
            check_resolved_addresses(addresses, PROD)

    def test_public_resolution_passes(self) -> None:
        check_resolved_addresses(["8.8.8.8", "2001:4860:4860::8888"], PROD)


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
