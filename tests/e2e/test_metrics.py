"""Metrics of the six processes after a handover, and the alert rules and dashboard against them.

After one handover transfers and its webhook is delivered, the workers answer the outbox
backlog 0, the consumer lag 0, one delivered webhook and one trigger -> transfer
observation; every alert expression and dashboard query names only metric families the
running processes expose (promtool is not available here: Maven Central does not carry it).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import yaml  # type: ignore[import-untyped]  # PyYAML comes with schemathesis
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.e2e.stack import RunningStack
from tests.e2e.test_handover_slice import AGENCY, ALG1_EXHAUSTED_DOCUMENTS, CASE, JOBCENTER
from tests.e2e.webhook_receiver import webhook_receiver

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "handover-broker.json"
TRANSFERRED = "de.handover.case.transferred.v1"

# PromQL words that are not metric names.
_PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
    "unless", "bool", "offset", "inf", "nan",
}  # fmt: skip


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, labels and ranges removed)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        word = match.group(0)
        rest = expr[match.end() :].lstrip()
        if rest.startswith("(") or word.lower() in _PROMQL_WORDS:
            continue  # a function or aggregation, or a keyword
        if re.fullmatch(r"\d+(\.\d+)?(e\d+)?", word):
            continue
        names.add(word)
    return names


def rule_expressions() -> dict[str, str]:
    document = yaml.safe_load(ALERTS.read_text())
    rules = [rule for group in document["groups"] for rule in group["rules"]]
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["alert"], rule
        assert rule["expr"], rule
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule
        assert re.fullmatch(r"\d+[smh]", str(rule.get("for", "0s"))), rule
    return {rule["alert"]: rule["expr"] for rule in rules}


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


class Scrape:
    """One `/metrics` answer, parsed."""

    def __init__(self, text: str) -> None:
        self.families = list(text_string_to_metric_families(text))

    def names(self) -> set[str]:
        """Every series name this process can answer (declared families included)."""
        names: set[str] = set()
        for family in self.families:
            suffixes = {
                "counter": ("_total", "_created"),
                "histogram": ("_bucket", "_count", "_sum", "_created"),
                "summary": ("_count", "_sum", "_created"),
            }.get(family.type, ("",))
            names.update(family.name + suffix for suffix in suffixes)
            names.update(sample.name for sample in family.samples)
        return names

    def samples(self, name: str, **labels: str) -> list[Sample]:
        return [
            sample
            for family in self.families
            for sample in family.samples
            if sample.name == name and labels.items() <= sample.labels.items()
        ]

    def value(self, name: str, **labels: str) -> float:
        """The sum over the matching samples (0 when there is none)."""
        return sum(sample.value for sample in self.samples(name, **labels))


def processes(stack: RunningStack) -> Iterator[tuple[str, str, str]]:
    """(service, mode, base URL) of every process of the stack."""
    config = stack.stack.config
    for process in config.processes():
        yield process.service.name, process.role, config.process_url(process)


def scrape(url: str) -> Scrape:
    response = httpx.get(f"{url}/metrics", timeout=10, trust_env=False)
    assert response.status_code == 200, response.text
    return Scrape(response.text)


def wait_for(url: str, check: Callable[[Scrape], bool], timeout: float = 30.0) -> Scrape:
    """Scrape `url` until `check` holds (bounded); return the last scrape."""
    deadline = time.monotonic() + timeout
    result = scrape(url)
    while not check(result) and time.monotonic() < deadline:
        time.sleep(0.25)
        result = scrape(url)
    return result


def run_handover(stack: RunningStack) -> None:
    """One handover to transfer, its webhook delivered to the jobcenter's receiver."""
    with (
        webhook_receiver() as receiver,
        stack.client("handover_api", AGENCY) as agency,
        stack.client("notifications_api", JOBCENTER) as notifications,
    ):
        subscription = notifications.post(
            "/v1/subscriptions", json={"url": receiver.url, "event_types": ["case.transferred"]}
        )
        assert subscription.status_code == 201, subscription.text
        created = agency.post("/v1/cases", json=CASE)
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        for doc_type in ALG1_EXHAUSTED_DOCUMENTS:
            uploaded = agency.post(
                f"/v1/cases/{case_id}/documents",
                files={"file": (f"{doc_type}.pdf", b"%PDF-1.7\n", "application/pdf")},
                data={"type": doc_type},
            )
            assert uploaded.status_code == 201, uploaded.text
        started = agency.post(
            f"/v1/cases/{case_id}/handovers",
            json={
                "reason": "ALG1_EXHAUSTED",
                "to_org": JOBCENTER,
                "transfer_date": "2026-05-01",
                "trigger": {"type": "SGB2_APPLICATION_FILED", "occurred_on": "2026-04-02"},
            },
        )
        assert started.status_code == 201, started.text
        [webhook] = receiver.wait_for(1, timeout=60)
        assert webhook.body


def test_metrics_after_a_handover_and_rules_name_only_exposed_families(
    stack: RunningStack,
) -> None:
    run_handover(stack)
    urls = {(service, mode): url for service, mode, url in processes(stack)}
    assert len(urls) == 6

    # The relay ran in each worker: nothing waits in any outbox.
    for service in ("handover_api", "eligibility_api", "notifications_api"):

        def drained(scraped: Scrape, service: str = service) -> bool:
            return (
                scraped.samples("outbox_unsent_rows", service=service) != []
                and scraped.value("outbox_unsent_rows", service=service) == 0
                and scraped.value("kafka_consumer_lag_records", service=service) == 0
            )

        worker = wait_for(urls[service, "worker"], drained)
        assert worker.value("outbox_unsent_rows", service=service) == 0, service
        assert worker.value("outbox_oldest_unsent_age_seconds", service=service) == 0, service
        assert worker.samples("kafka_consumer_lag_records", service=service), service
        assert worker.value("kafka_consumer_lag_records", service=service) == 0, service
        assert all(s.value == 1 for s in worker.samples("metrics_source_up")), service
        # The API process runs no relay and answers no backlog of its own.
        api = scrape(urls[service, "api"])
        assert api.samples("outbox_unsent_rows") == [], service
        assert api.value("http_requests_total", service=service) > 0, service

    notifications = wait_for(
        urls["notifications_api", "worker"],
        lambda s: s.value("webhook_deliveries_total", outcome="delivered") == 1,
    )
    delivered = notifications.samples(
        "webhook_deliveries_total", org=JOBCENTER, event_type=TRANSFERRED, outcome="delivered"
    )
    assert [s.value for s in delivered] == [1.0]
    assert notifications.value("webhook_deliveries_total", outcome="failed") == 0
    assert notifications.value("handover_transfer_to_webhook_seconds_count") == 1
    assert (
        notifications.value("webhook_delivery_latency_seconds_count", event_type=TRANSFERRED) == 1
    )

    handover_worker = scrape(urls["handover_api", "worker"])
    handover_api = scrape(urls["handover_api", "api"])
    # The transfer ran where eligibility's answer was consumed; counted once in the stack.
    assert (
        handover_worker.value("handover_trigger_to_transfer_seconds_count")
        + handover_api.value("handover_trigger_to_transfer_seconds_count")
        == 1
    )
    by_status = {s.labels["status"]: s.value for s in handover_worker.samples("handovers")}
    assert by_status["transferred"] == 1
    assert sum(by_status.values()) == 1
    assert handover_worker.value("handovers_overdue") == 0

    # Alert rules and dashboard queries name only what the six processes expose.
    exposed: set[str] = set()
    for url in urls.values():
        exposed |= scrape(url).names()
    rules = rule_expressions()
    assert {
        "OutboxOldestUnsentTooOld",
        "DeadLetterRecordsGrowing",
        "HandoversOverdue",
        "WebhookReceiverFailing",
        "ConsumerLagGrowing",
    } <= set(rules)
    for alert, expr in rules.items():
        names = metric_names(expr)
        assert names, alert
        assert names <= exposed, (alert, names - exposed)
    queries = dashboard_expressions()
    for expr in queries:
        names = metric_names(expr)
        assert names, expr
        assert names <= exposed, (expr, names - exposed)
    dashboard_names = set().union(*(metric_names(q) for q in queries))
    for family in (
        "outbox_unsent_rows",
        "outbox_oldest_unsent_age_seconds",
        "kafka_consumer_lag_records",
        "dlq_records_total",
        "webhook_deliveries_total",
        "webhook_delivery_latency_seconds_bucket",
        "handovers",
        "handovers_overdue",
        "handover_trigger_to_transfer_seconds_bucket",
        "handover_transfer_to_webhook_seconds_bucket",
        "http_requests_total",
        "http_request_duration_seconds_bucket",
    ):
        assert family in dashboard_names, family


def test_metric_names_are_read_from_promql() -> None:
    assert metric_names(
        'sum by (org) (rate(webhook_deliveries_total{outcome=~"failed|x"}[10m])) > 0.5 '
        "* sum by (org) (rate(webhook_deliveries_total[10m]))"
    ) == {"webhook_deliveries_total"}
    assert metric_names(
        "histogram_quantile(0.99, sum by (service, le) "
        "(rate(http_request_duration_seconds_bucket[$__rate_interval])))"
    ) == {"http_request_duration_seconds_bucket"}
    assert metric_names("max by (service) (handovers_overdue) > 0 and up == 1") == {
        "handovers_overdue",
        "up",
    }
    # Every rule has a name, an expression and a severity (also without a running stack).
    assert len(rule_expressions()) >= 5
    assert all(dashboard_expressions())
