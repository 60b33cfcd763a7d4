"""A seeded load driver: cases with their dossier and self-transferring handovers, with retries.

Every creating request carries an Idempotency-Key; a request that fails with a connection
error, a timeout, a 5xx or a 409 "in progress" is repeated with the same key and body, so a
retry can never be a second effect. The driver counts what it was answered.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.examples import ALG1_ENDS_CASE

AGENCY = "agentur-hagen"
JOBCENTER = "jobcenter-ennepe-ruhr"

# The documents ALG1_EXHAUSTED requires (handover_api.domain.documents.REQUIRED_DOCUMENTS).
ALG1_EXHAUSTED_DOCUMENTS = (
    "IDENTITY_MASTER_DATA",
    "ALG1_APPROVAL",
    "POTENZIALANALYSE",
    "INTEGRATION_AGREEMENT",
    "FOERDERPLAN",
    "APPLICANT_PROFILE",
    "CV_CERTIFICATES",
    "JOB_OFFERS_OWN_EFFORTS",
    "APPOINTMENT_HISTORY",
    "INFO_SESSION_ATTENDANCE",
)

# domain.md §4.4 example 1: ALG I from 2025-02-01 ends 2026-04-30; SGB II from 2026-05-01.
HANDOVER_BODY: dict[str, Any] = {
    "reason": "ALG1_EXHAUSTED",
    "to_org": JOBCENTER,
    "transfer_date": "2026-05-01",
    "trigger": {"type": "SGB2_APPLICATION_FILED", "occurred_on": "2026-04-02"},
}


def case_body(rng: random.Random) -> dict[str, Any]:
    """A case of domain.md §4.4 example 1 with a seeded Kundennummer and made-up names."""
    return {
        **ALG1_ENDS_CASE,
        "kundennummer": f"{rng.randrange(100, 1000)}A{rng.randrange(100_000, 1_000_000)}",
        "municipality": rng.choice(["Witten", "Hattingen", "Gevelsberg", "Schwelm"]),
        "person": {"given_name": "Testperson", "family_name": f"Fall{rng.randrange(10**6)}"},
    }


@dataclass(frozen=True)
class ServerError:
    """A 5xx answer and the interval of the request that got it (monotonic seconds)."""

    status: int
    path: str
    sent_at: float
    answered_at: float


@dataclass
class LoadStats:
    """What the client saw; shared by the driver's threads."""

    requests: int = 0
    retries: int = 0
    transport_errors: int = 0
    server_errors: list[ServerError] = field(default_factory=list)
    status_counts: dict[int, int] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    # Idempotency-Key -> resource ids answered under it (more than one is a duplicate effect).
    ids_by_key: dict[str, set[str]] = field(default_factory=dict)
    keys_by_kind: dict[str, set[str]] = field(default_factory=dict)
    # handover id -> case id, from 2xx answers to POST .../handovers.
    accepted: dict[str, str] = field(default_factory=dict)
    last_accepted_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def record_status(self, status: int) -> None:
        with self.lock:
            self.requests += 1
            self.status_counts[status] = self.status_counts.get(status, 0) + 1

    def record_resource(self, kind: str, key: str, resource_id: str) -> None:
        with self.lock:
            self.ids_by_key.setdefault(key, set()).add(resource_id)
            self.keys_by_kind.setdefault(kind, set()).add(key)

    def key_duplicates(self) -> int:
        """Extra resources answered under one key."""
        with self.lock:
            return sum(len(ids) - 1 for ids in self.ids_by_key.values() if len(ids) > 1)

    def server_errors_outside(self, windows: list[tuple[float, float]]) -> list[ServerError]:
        """5xx answers to requests that did not overlap any of the (start, end) windows."""
        with self.lock:
            errors = list(self.server_errors)
        return [
            e
            for e in errors
            if not any(e.sent_at <= end and e.answered_at >= start for start, end in windows)
        ]


class GaveUp(RuntimeError):
    """A request kept failing until its deadline."""


def in_progress(response: httpx.Response) -> bool:
    # 409 for a request whose Idempotency-Key is still being processed; any other 409 is final.
    if response.status_code != 409:
        return False
    try:
        problem = response.json()
    except ValueError:
        return False
    text = f"{problem.get('type', '')} {problem.get('title', '')} {problem.get('detail', '')}"
    return "progress" in text.lower()


class LoadDriver:
    """Starts `count` handovers from a few threads, paced over `spread` seconds."""

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        seed: int,
        tag: str,
        request_deadline: float = 90.0,
    ) -> None:
        self.base_url = base_url
        self.headers = dict(headers)
        self.seed = seed
        self.tag = tag
        self.request_deadline = request_deadline
        self.stats = LoadStats()
        self._threads: list[threading.Thread] = []
        self._next = 0
        self._count = 0
        self._spread = 0.0
        self._started = 0.0
        self._index_lock = threading.Lock()
        self.failures: list[str] = []

    def client(self) -> httpx.Client:
        """A client of handover_api acting as the agency."""
        return httpx.Client(
            base_url=self.base_url, headers=self.headers, timeout=10.0, trust_env=False
        )

    # -- requests --------------------------------------------------------------------------

    def send(
        self,
        client: httpx.Client,
        method: str,
        path: str,
        *,
        key: str | None,
        kind: str | None = None,
        retry: bool = True,
        rng: random.Random | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One logical request: repeated with the same key until it is answered for good."""
        jitter = rng or random.Random(self.seed)
        headers = dict(kwargs.pop("headers", None) or {})
        if key is not None:
            headers["Idempotency-Key"] = key
        deadline = time.monotonic() + self.request_deadline
        delay = 0.2
        attempt = 0
        while True:
            attempt += 1
            if attempt > 1:
                with self.stats.lock:
                    self.stats.retries += 1
            sent_at = time.monotonic()
            try:
                response = client.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                with self.stats.lock:
                    self.stats.transport_errors += 1
                if not retry or time.monotonic() > deadline:
                    raise GaveUp(f"{method} {path}: {type(exc).__name__}") from exc
            else:
                self.stats.record_status(response.status_code)
                if response.status_code >= 500:
                    with self.stats.lock:
                        self.stats.server_errors.append(
                            ServerError(response.status_code, path, sent_at, time.monotonic())
                        )
                elif not (retry and in_progress(response)):
                    if response.is_success and key is not None and kind is not None:
                        self.stats.record_resource(kind, key, str(response.json()["id"]))
                    return response
                if not retry or time.monotonic() > deadline:
                    raise GaveUp(f"{method} {path}: HTTP {response.status_code}")
            time.sleep(delay * (0.5 + jitter.random()))
            delay = min(delay * 2, 2.0)

    def expect(self, response: httpx.Response, *statuses: int) -> bool:
        """Whether the answer is one of `statuses`; anything else is kept as unexpected."""
        if response.status_code in statuses:
            return True
        with self.stats.lock:
            self.stats.unexpected.append(
                f"{response.request.method} {response.request.url.path}: "
                f"{response.status_code} {response.text[:300]}"
            )
        return False

    # -- one handover ----------------------------------------------------------------------

    def create_case(self, client: httpx.Client, index: int, rng: random.Random) -> str | None:
        """Create case `index`; its id, or None when it was refused."""
        response = self.send(
            client,
            "POST",
            "/v1/cases",
            key=f"{self.tag}-case-{index}",
            kind="case",
            rng=rng,
            json=case_body(rng),
        )
        return str(response.json()["id"]) if self.expect(response, 201) else None

    def upload_dossier(
        self, client: httpx.Client, index: int, case_id: str, rng: random.Random
    ) -> bool:
        """Upload every document ALG1_EXHAUSTED requires."""
        for doc_type in ALG1_EXHAUSTED_DOCUMENTS:
            content = f"%PDF-1.7\n{doc_type}\n{self.tag}-{index}-{rng.random()}\n".encode()
            response = self.send(
                client,
                "POST",
                f"/v1/cases/{case_id}/documents",
                key=f"{self.tag}-doc-{index}-{doc_type}",
                kind="document",
                rng=rng,
                files={"file": (f"{doc_type.lower()}.pdf", content, "application/pdf")},
                data={"type": doc_type},
            )
            if not self.expect(response, 201):
                return False
        return True

    def start_handover(
        self, client: httpx.Client, index: int, case_id: str, rng: random.Random
    ) -> str | None:
        """Start the handover of case `index`; its id once accepted."""
        response = self.send(
            client,
            "POST",
            f"/v1/cases/{case_id}/handovers",
            key=f"{self.tag}-handover-{index}",
            kind="handover",
            rng=rng,
            json=HANDOVER_BODY,
        )
        if not self.expect(response, 201):
            return None
        handover_id = str(response.json()["id"])
        with self.stats.lock:
            self.stats.accepted[handover_id] = case_id
            self.stats.last_accepted_at = time.monotonic()
            self.stats.changed.notify_all()
        return handover_id

    def wait_accepted(self, count: int, timeout: float) -> None:
        """Block until `count` handovers were accepted (mid-load); raise after `timeout` s."""
        with self.stats.changed:
            if not self.stats.changed.wait_for(lambda: len(self.stats.accepted) >= count, timeout):
                raise TimeoutError(f"fewer than {count} handovers accepted within {timeout:.0f}s")

    def one_handover(self, client: httpx.Client, index: int) -> str | None:
        """Case, dossier and handover number `index` (seeded per index, so runs repeat)."""
        rng = random.Random(f"{self.seed}-{index}")
        case_id = self.create_case(client, index, rng)
        if case_id is None or not self.upload_dossier(client, index, case_id, rng):
            return None
        return self.start_handover(client, index, case_id, rng)

    # -- background load -------------------------------------------------------------------

    def start(self, count: int, *, spread: float, workers: int = 3) -> None:
        """Start `count` handovers in the background, the i-th not before i*spread/count s."""
        self._count, self._spread, self._started = count, spread, time.monotonic()
        self._threads = [
            threading.Thread(target=self._work, name=f"load-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def join(self, timeout: float) -> None:
        """Wait for the load to finish; raise if it does not within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            raise TimeoutError(f"load still running after {timeout:.0f}s: {alive}")

    def _take(self) -> int | None:
        with self._index_lock:
            if self._next >= self._count:
                return None
            index, self._next = self._next, self._next + 1
            return index

    def _work(self) -> None:
        with self.client() as client:
            while (index := self._take()) is not None:
                due = self._started + index * self._spread / max(self._count, 1)
                time.sleep(max(due - time.monotonic(), 0.0))
                try:
                    self.one_handover(client, index)
                except GaveUp as exc:
                    with self.stats.lock:
                        self.failures.append(f"handover {index}: {exc}")
