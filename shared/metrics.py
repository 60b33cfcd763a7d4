"""Prometheus metrics shared by the services (one process runs one service)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"]
)
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Outbox rows published", ["service", "topic"])
OUTBOX_PUBLISH_FAILURES = Counter(
    "outbox_publish_failures_total", "Failed outbox publishes", ["service"]
)
EVENTS_CONSUMED = Counter(
    "events_consumed_total", "Events applied by consumers", ["service", "topic", "outcome"]
)
PERIODIC_JOB_RUNS = Counter(
    "periodic_job_runs_total",
    "Runs of periodic jobs (done, skipped: another replica holds the lock, failed, unavailable)",
    ["job", "outcome"],
)
PERIODIC_JOB_DURATION = Histogram(
    "periodic_job_duration_seconds", "Duration of completed periodic job runs", ["job"]
)
DLQ_RECORDS = Counter(
    "dlq_records_total",
    "Records a consumer group sent to <topic>.dlq, by source topic",
    ["service", "group", "topic"],
)
CONSUMER_LAG = Gauge(
    "kafka_consumer_lag_records",
    "High watermark minus the consumer's position (offsets applied and committed), per partition",
    ["service", "group", "topic", "partition"],
)
