"""The three apps as real processes for end-to-end tests, built on `services.stack`.

Each service runs as the launcher runs it by default: an API process and a worker process
(relay, consumers, jobs), so every end-to-end flow crosses from one to the other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from services.broker import free_port
from services.issuer import DevIssuer
from services.stack import SERVICES, ServiceSpec, Stack, StackConfig

__all__ = ["SERVICES", "RunningStack", "Stack", "StackConfig", "start_stack"]


@dataclass
class RunningStack:
    """A started stack: URLs of its apps and tokens its apps accept."""

    stack: Stack
    issuer: DevIssuer

    def url(self, service: str) -> str:
        """Base URL of `service` (e.g. "handover_api")."""
        return self.stack.urls[service]

    @property
    def handover_url(self) -> str:
        """Base URL of handover_api."""
        return self.url("handover_api")

    @property
    def eligibility_url(self) -> str:
        """Base URL of eligibility_api."""
        return self.url("eligibility_api")

    @property
    def notifications_url(self) -> str:
        """Base URL of notifications_api."""
        return self.url("notifications_api")

    def headers(self, org: str, scopes: Sequence[str] | None = None) -> dict[str, str]:
        """An Authorization header for `org` (every integration scope by default)."""
        return {"Authorization": f"Bearer {self.issuer.token(org, list(scopes or ()) or None)}"}

    def client(self, service: str, org: str, scopes: Sequence[str] | None = None) -> httpx.Client:
        """A client for `service` acting as `org`; close it (or use it as a context manager)."""
        return httpx.Client(
            base_url=self.url(service),
            headers=self.headers(org, scopes),
            timeout=10.0,
            trust_env=False,
        )

    def log(self, service: str) -> str:
        """The log content of every process of `service` so far (for assertion messages)."""
        texts = [
            f"--- {app.log_path.name} ---\n{app.log_path.read_text(errors='replace')}"
            for app in self.stack.apps
            if app.spec.service.name == service and app.log_path.exists()
        ]
        return "\n".join(texts)


@contextlib.contextmanager
def start_stack(
    *,
    bootstrap_servers: str,
    issuer: DevIssuer,
    database_url: Callable[[str], str],
    work_dir: Path,
    services: Sequence[str] | None = None,
    ready_timeout: float = 90.0,
    extra_env: dict[str, str] | None = None,
    split: bool = True,
) -> Iterator[RunningStack]:
    """Migrate and start the apps on free ports, wait until ready, stop them afterwards.

    `database_url(label)` makes one fresh database per service (the `postgres_database`
    fixture fits); the apps' working directory, blobs and logs are under `work_dir`.
    `split=False` runs one `serve` process per service instead of an API and a worker.
    """
    chosen: tuple[ServiceSpec, ...] = tuple(
        spec for spec in SERVICES if services is None or spec.name in services
    )
    config = StackConfig(
        bootstrap_servers=bootstrap_servers,
        issuer=issuer,
        database_urls={spec.name: database_url(spec.db_name) for spec in chosen},
        ports={spec.name: free_port() for spec in chosen},
        worker_ports={spec.name: free_port() for spec in chosen},
        split=split,
        data_dir=work_dir / "var",
        log_dir=work_dir / "var" / "log",
        services=chosen,
        extra_env=extra_env or {},
        work_dir=work_dir,
    )
    stack = Stack(config)
    stack.up(ready_timeout=ready_timeout)
    try:
        yield RunningStack(stack, issuer)
    finally:
        stack.stop()
