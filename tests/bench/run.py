"""`make bench`: ceilings, closed loop and open loop on one stack, in one run on this machine.

The stack is started through the launcher's command line (`python -m services up`), so the
benchmark measures whatever the stack is when it runs. Everything listens on loopback; every
loop is bounded by a count or a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform
import queue
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from services.broker import free_port
from services.issuer import DevIssuer
from services.postgres import SUPERUSER
from services.stack import SERVICES, die_with_parent
from shared.settings import KafkaSettings
from tests.bench import ceilings
from tests.bench.event_path import (
    StepResult,
    WebhookSink,
    handover_body,
    offer_handovers,
    read_backlog,
    summarise_latencies,
)
from tests.bench.raw_http import Answer, closed_loop, encode_request
from tests.faults.load import AGENCY, ALG1_EXHAUSTED_DOCUMENTS, HANDOVER_BODY, JOBCENTER, case_body

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
RATES = (25.0, 50.0, 100.0, 200.0)
# An open-loop step is sustainable when p99 stays under this and the backlog stays bounded.
SUSTAINABLE_P99_MS = 1000.0
# After a step the stack gets this long to deliver what it accepted (the fault suite's drain).
DRAIN_LIMIT_SECONDS = 30.0


def say(line: str) -> None:
    """One progress line."""
    sys.stdout.write(f"bench: {line}\n")
    sys.stdout.flush()


@dataclass(frozen=True)
class Plan:
    """How much of everything one run does."""

    hello_requests: int
    case_requests: int
    handover_requests: int
    concurrency: int
    kafka_messages: int
    postgres_commits: int
    step_seconds: float
    rates: tuple[float, ...]
    idle_seconds: float
    documents: int

    @classmethod
    def of(cls, args: argparse.Namespace) -> Plan:
        """Full run, or the quick one for development."""
        quick = bool(args.quick)
        return cls(
            hello_requests=3000 if quick else 20000,
            case_requests=300 if quick else 2000,
            handover_requests=300 if quick else 1000,
            concurrency=args.concurrency,
            kafka_messages=50 if quick else 300,
            postgres_commits=500 if quick else 3000,
            step_seconds=args.step_seconds or (5.0 if quick else 30.0),
            rates=tuple(args.rates or RATES),
            idle_seconds=3.0 if quick else 10.0,
            documents=args.documents,
        )


# -- the stack, through the launcher's command line ------------------------------------------


@dataclass
class RunningStack:
    """`python -m services up` in its own state directory, on free ports."""

    process: subprocess.Popen[str]
    var_dir: Path
    postgres_port: int
    urls: dict[str, str]
    bootstrap_servers: str = ""
    lines: queue.Queue[str] = field(default_factory=queue.Queue)

    def database_url(self, database: str) -> str:
        """A psycopg URL of one of the stack's databases."""
        return f"postgresql://{SUPERUSER}@{HOST}:{self.postgres_port}/{database}"

    @property
    def service_databases(self) -> dict[str, str]:
        """Each service's database."""
        return {s.name: self.database_url(s.db_name) for s in SERVICES}

    def token(self, org: str) -> str:
        """A bearer token of the stack's dev issuer."""
        return DevIssuer(self.var_dir / "dev-issuer").token(org)


def _pump(stream: Any, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put("")


@contextlib.contextmanager
def launched_stack(broker: str, var_dir: Path, ready_timeout: float) -> Iterator[RunningStack]:
    """Start the stack, wait for its `up` line; stop it (SIGINT, as Ctrl-C) afterwards."""
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    env = dict(os.environ)
    ports = {spec.name: free_port() for spec in SERVICES}
    env.update({spec.env_prefix + "PORT": str(ports[spec.name]) for spec in SERVICES})
    postgres_port = free_port()
    env["POSTGRES_PORT"] = str(postgres_port)
    env.update({spec.env_prefix + "WORKER_PORT": str(free_port()) for spec in SERVICES})
    env["BROKER_PORT"] = str(free_port())
    env["MAILBOX_PORT"] = str(free_port())
    env["PYTHONUNBUFFERED"] = "1"
    command = [sys.executable, "-m", "services", "--var-dir", str(var_dir), "up"]
    command += ["--broker", broker, "--ready-timeout", str(ready_timeout)]
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=die_with_parent(),  # no stack outlives a killed benchmark
    )
    stack = RunningStack(
        process=process,
        var_dir=var_dir,
        postgres_port=postgres_port,
        urls={name: f"http://{HOST}:{port}" for name, port in ports.items()},
    )
    threading.Thread(target=_pump, args=(process.stdout, stack.lines), daemon=True).start()
    try:
        deadline = time.monotonic() + ready_timeout + 240
        while not stack.bootstrap_servers:
            try:
                line = stack.lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            except queue.Empty:
                raise RuntimeError("the stack did not come up in time") from None
            if line.startswith("stack:"):
                say(line)
            if line.startswith("stack: up") and "broker " in line:
                stack.bootstrap_servers = line.rsplit("broker ", 1)[1].strip()
            elif process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not come up; see {var_dir / 'log'}")
        yield stack
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        say(f"stack stopped ({'exit ' + str(process.returncode)})")


def process_tree_cpu(root: int) -> dict[str, float]:
    """CPU seconds used so far by the launcher's descendants: the apps and everything."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / ticks
        commands[pid] = cmdline
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    app_markers = tuple(f"-m {spec.name}" for spec in SERVICES)
    apps = sum(cpu[p] for p in tree if any(m in commands.get(p, "") for m in app_markers))
    return {"apps": apps, "all": sum(cpu.get(p, 0.0) for p in tree)}


# -- the measurements ---------------------------------------------------------------------


def hello_ceiling(plan: Plan) -> dict[str, Any]:
    """FastAPI hello under uvicorn with the services' server settings."""
    port = free_port()
    env = dict(os.environ, BENCH_HELLO_PORT=str(port), BENCH_HELLO_HOST=HOST)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.hello"],
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=die_with_parent(),  # no stack outlives a killed benchmark
    )
    base = f"http://{HOST}:{port}"
    try:
        _wait_listening(f"{base}/hello", process, 30.0)
        request = encode_request("GET", f"{HOST}:{port}", "/hello", {})
        result = asyncio.run(
            closed_loop(
                base,
                lambda _: request,
                requests=plan.hello_requests,
                concurrency=plan.concurrency,
            )
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return _closed(result)


def _wait_listening(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server ended ({process.returncode})")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0, trust_env=False).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url}: not answering after {timeout:.0f}s")


def _closed(result: Any) -> dict[str, Any]:
    ordered = sorted(result.latencies)
    return {
        "requests": result.requests,
        "concurrency": result.concurrency,
        "seconds": round(result.seconds, 3),
        "rps": round(result.rps, 1),
        "ok": result.ok,
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
        "p50_ms": round(ceilings.percentile(ordered, 50) * 1000, 2),
        "p99_ms": round(ceilings.percentile(ordered, 99) * 1000, 2),
    }


def _timings(t: ceilings.Timings) -> dict[str, Any]:
    return {
        "count": t.count,
        "per_second": round(t.per_second, 1),
        "p50_ms": round(t.p50_ms, 2),
        "p99_ms": round(t.p99_ms, 2),
        "max_ms": round(t.max_ms, 2),
        "settings": t.settings,
    }


class Agency:
    """The agency's side: creates cases (and dossiers) on handover_api."""

    def __init__(self, stack: RunningStack, seed: int) -> None:
        self.base = stack.urls["handover_api"]
        self.host = self.base.removeprefix("http://")
        self.headers = {"authorization": f"Bearer {stack.token(AGENCY)}"}
        self.rng = random.Random(seed)
        self.created = 0

    def case_request(self, _: int) -> bytes:
        """A POST /v1/cases with the fault suite's case body."""
        body = json.dumps(case_body(self.rng)).encode()
        return encode_request("POST", self.host, "/v1/cases", self.headers, body)

    async def create_cases(self, count: int, concurrency: int) -> list[str]:
        """`count` cases; their ids."""
        ids: list[str] = []

        def keep(_: int, answer: Answer) -> None:
            if answer.status == 201:
                ids.append(str(answer.json()["id"]))

        await closed_loop(
            self.base, self.case_request, requests=count, concurrency=concurrency, on_answer=keep
        )
        if len(ids) != count:
            raise RuntimeError(f"only {len(ids)} of {count} cases were created")
        return ids

    async def upload_dossiers(self, case_ids: Sequence[str], documents: int) -> None:
        """The first `documents` documents ALG1_EXHAUSTED requires, for every case."""
        if documents <= 0:
            return
        limits = httpx.Limits(max_connections=8)
        async with httpx.AsyncClient(
            base_url=self.base, headers=self.headers, trust_env=False, limits=limits, timeout=30
        ) as client:
            pending = iter(case_ids)

            async def worker() -> None:
                for case_id in pending:
                    for doc_type in ALG1_EXHAUSTED_DOCUMENTS[:documents]:
                        content = f"%PDF-1.7\n{doc_type}\n{case_id}\n".encode()
                        response = await client.post(
                            f"/v1/cases/{case_id}/documents",
                            files={"file": (f"{doc_type.lower()}.pdf", content, "application/pdf")},
                            data={"type": doc_type},
                        )
                        if response.status_code != 201:
                            raise RuntimeError(f"upload: {response.status_code} {response.text}")

            await asyncio.gather(*(worker() for _ in range(8)))


async def subscribe(stack: RunningStack, sink: WebhookSink) -> None:
    """The jobcenter subscribes the loopback receiver to `case.transferred`."""
    headers = {"Authorization": f"Bearer {stack.token(JOBCENTER)}"}
    async with httpx.AsyncClient(
        base_url=stack.urls["notifications_api"], headers=headers, trust_env=False, timeout=30
    ) as client:
        response = await client.post(
            "/v1/subscriptions", json={"url": sink.url, "event_types": ["case.transferred"]}
        )
    if response.status_code != 201:
        raise RuntimeError(f"subscription refused: {response.status_code} {response.text}")
    sink.secret = str(response.json()["secret"])


async def wait_quiet(stack: RunningStack, limit: float) -> tuple[float, int]:
    """Poll the backlog until it is empty; seconds waited and what is left at the limit."""
    started = time.monotonic()
    while True:
        backlog = await read_backlog(stack.service_databases, stack.bootstrap_servers)
        waited = time.monotonic() - started
        if backlog.total == 0 or waited >= limit:
            return waited, backlog.total
        await asyncio.sleep(0.5)


async def closed_loop_api(stack: RunningStack, plan: Plan) -> dict[str, Any]:
    """POST /v1/cases, then POST /v1/cases/{id}/handovers on fresh cases, closed loop."""
    agency = Agency(stack, seed=1)
    case_ids: list[str] = []

    def keep(_: int, answer: Answer) -> None:
        if answer.status == 201:
            case_ids.append(str(answer.json()["id"]))

    cases = await closed_loop(
        agency.base,
        agency.case_request,
        requests=plan.case_requests,
        concurrency=plan.concurrency,
        on_answer=keep,
    )
    say(f"closed loop POST /v1/cases: {cases.rps:.0f} req/s ({cases.ok}/{cases.requests} 201)")
    more = plan.handover_requests - len(case_ids)
    if more > 0:
        case_ids += await agency.create_cases(more, plan.concurrency)
    await wait_quiet(stack, 60)
    body = json.dumps(HANDOVER_BODY).encode()

    def handover(index: int) -> bytes:
        path = f"/v1/cases/{case_ids[index]}/handovers"
        return encode_request("POST", agency.host, path, agency.headers, body)

    handovers = await closed_loop(
        agency.base, handover, requests=plan.handover_requests, concurrency=plan.concurrency
    )
    say(
        f"closed loop POST /v1/cases/{{id}}/handovers: {handovers.rps:.0f} req/s "
        f"({handovers.ok}/{handovers.requests} 201)"
    )
    await wait_quiet(stack, 60)
    return {"cases": _closed(cases), "handovers": _closed(handovers)}


async def open_loop(stack: RunningStack, plan: Plan) -> list[StepResult]:
    """Each rate for `step_seconds`, from this process; webhooks to a receiver here."""
    sink = WebhookSink()
    await sink.start()
    results: list[StepResult] = []
    try:
        await subscribe(stack, sink)
        agency = Agency(stack, seed=2)
        body = json.dumps(handover_body(plan.documents)).encode()
        blocked = ""
        for rate in plan.rates:
            step = StepResult(rate=rate, seconds=plan.step_seconds)
            results.append(step)
            if blocked:
                step.note = blocked
                say(f"open loop {rate:.0f}/s: skipped ({blocked})")
                continue
            count = round(rate * plan.step_seconds)
            prep_started = time.monotonic()
            case_ids = await agency.create_cases(count, plan.concurrency)
            await agency.upload_dossiers(case_ids, plan.documents)
            waited, left = await wait_quiet(stack, 120)
            say(
                f"open loop {rate:.0f}/s: {count} cases ready in "
                f"{time.monotonic() - prep_started:.0f}s (quiet after {waited:.0f}s, left {left})"
            )
            sent_at: dict[str, float] = {}
            await offer_handovers(
                base_url=agency.base,
                host=agency.host,
                headers=agency.headers,
                case_ids=case_ids,
                body=body,
                rate=rate,
                step=step,
                sent_at=sent_at,
            )
            step.backlog_end = await read_backlog(stack.service_databases, stack.bootstrap_servers)
            drain_started = time.monotonic()
            while (
                any(h not in sink.arrived for h in sent_at)
                and time.monotonic() - drain_started < DRAIN_LIMIT_SECONDS
            ):
                await asyncio.sleep(0.2)
            drained = all(h in sink.arrived for h in sent_at)
            step.drained_seconds = round(time.monotonic() - drain_started, 2) if drained else None
            step.delivered, latencies = summarise_latencies(sent_at, sink.arrived)
            step.latencies_ms = {k: round(v, 1) for k, v in latencies.items()}
            backlog = step.backlog_end
            step.sustainable = (
                drained
                and not step.errors
                and step.accepted == step.offered
                and latencies["p99"] < SUSTAINABLE_P99_MS
                and backlog.total <= rate
            )
            say(
                f"open loop {rate:.0f}/s: accepted {step.accepted}/{step.offered}, "
                f"delivered {step.delivered}, p50 {_ms(latencies['p50'])} "
                f"p99 {_ms(latencies['p99'])} max {_ms(latencies['max'])}, backlog "
                f"outbox={backlog.outbox_unsent} lag={backlog.consumer_lag} "
                f"deliveries={backlog.pending_deliveries}, "
                f"{'sustainable' if step.sustainable else 'NOT sustainable'}"
            )
            if not drained:
                blocked = f"the {rate:.0f}/s step did not drain within {DRAIN_LIMIT_SECONDS:.0f}s"
            elif (await wait_quiet(stack, 60))[1]:
                blocked = f"backlog of the {rate:.0f}/s step left after 60s"
        if sink.bad_signatures:
            say(f"receiver: {sink.bad_signatures} webhook(s) with a bad signature")
    finally:
        await sink.stop()
    return results


def _ms(value: float) -> str:
    return "-" if value == float("inf") else f"{value:.0f}ms"


def idle_cost(stack: RunningStack, seconds: float) -> dict[str, float]:
    """Share of one core the idle stack uses: the three apps, and with PostgreSQL and broker."""
    before = process_tree_cpu(stack.process.pid)
    time.sleep(seconds)
    after = process_tree_cpu(stack.process.pid)
    return {
        "seconds": seconds,
        "apps_core_percent": round((after["apps"] - before["apps"]) / seconds * 100, 2),
        "all_core_percent": round((after["all"] - before["all"]) / seconds * 100, 2),
    }


# -- report -------------------------------------------------------------------------------


def targets(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets and whether this run met them."""
    hello = results["ceilings"]["hello"]["rps"] or 1.0
    closed = results["closed_loop"]
    steps = {s["rate_per_second"]: s for s in results["open_loop"]["steps"]}
    at_50 = steps.get(50.0)
    sustainable = results["open_loop"]["highest_sustainable_rate"]
    idle = results["idle"]["apps_core_percent"]
    rows = [
        ("POST /v1/cases >= 0.3 x hello", closed["cases"]["rps"] / hello, 0.3),
        ("handover start >= 0.2 x hello", closed["handovers"]["rps"] / hello, 0.2),
    ]
    out = [
        {"target": name, "measured": f"{value:.3f} x hello", "met": value >= goal}
        for name, value, goal in rows
    ]
    latency_target = "POST -> webhook at 50/s: p50 <= 60 ms, p99 <= 250 ms"
    if at_50 is not None and at_50["latency_ms"]:
        p50, p99 = at_50["latency_ms"]["p50"], at_50["latency_ms"]["p99"]
        out.append(
            {
                "target": latency_target,
                "measured": f"p50 {_ms(p50)}, p99 {_ms(p99)}",
                "met": p50 <= 60 and p99 <= 250,
            }
        )
    else:
        out.append({"target": latency_target, "measured": "not offered", "met": False})
    out.append(
        {
            "target": "sustainable rate >= 100 handovers/s",
            "measured": f"{sustainable or 0:.0f}/s",
            "met": (sustainable or 0) >= 100,
        }
    )
    out.append(
        {"target": "idle stack < 2 % of a core", "measured": f"{idle:.1f} %", "met": idle < 2}
    )
    return out


def table(results: Mapping[str, Any]) -> list[str]:
    """The summary table."""
    c = results["ceilings"]
    hello = c["hello"]["rps"] or 1.0
    closed = results["closed_loop"]
    lines = [
        f"bench {results['date']} on {results['machine']['cpus']} cores, "
        f"broker {results['broker']}, {results['mode']} run",
        "",
        "ceilings",
        f"  FastAPI hello (uvicorn, services' settings) {c['hello']['rps']:>9.0f} req/s",
        f"  aiokafka produce->consume round trip        {c['kafka']['per_second']:>9.0f} /s  "
        f"p50 {c['kafka']['p50_ms']:.1f} ms  p99 {c['kafka']['p99_ms']:.1f} ms  "
        f"(fetch {c['kafka']['settings']['consumer']})",
        f"  PostgreSQL INSERT+COMMIT                    {c['postgres']['per_second']:>9.0f} /s  "
        f"p50 {c['postgres']['p50_ms']:.1f} ms  p99 {c['postgres']['p99_ms']:.1f} ms  "
        f"({c['postgres']['settings']['concurrency']} connections)",
        "closed loop (concurrency "
        f"{closed['cases']['concurrency']})                          req/s   x hello",
    ]
    for name, key in (("POST /v1/cases", "cases"), ("POST /v1/cases/{id}/handovers", "handovers")):
        rps = closed[key]["rps"]
        lines.append(f"  {name:<42} {rps:>9.0f}   {rps / hello:.3f}")
    lines += [
        "open loop: POST handover -> webhook (ms)",
        "  rate/s  accepted delivered     p50     p95     p99     max   outbox  lag  deliv  ok",
    ]
    for s in results["open_loop"]["steps"]:
        if s["note"] and not s["offered"]:
            lines.append(f"  {s['rate_per_second']:>6.0f}  skipped: {s['note']}")
            continue
        lat = s["latency_ms"]
        b = s["backlog_at_end"] or {}
        lag = b.get("consumer_lag")
        lines.append(
            f"  {s['rate_per_second']:>6.0f}  {s['accepted']:>8} {s['delivered']:>9} "
            + " ".join(f"{_ms(lat[k]):>7}" for k in ("p50", "p95", "p99", "max"))
            + f"  {b.get('outbox_unsent', 0):>7} {'?' if lag is None else lag:>4} "
            f"{b.get('pending_deliveries', 0):>6}  {'yes' if s['sustainable'] else 'no'}"
        )
    best = results["open_loop"]["highest_sustainable_rate"]
    lines.append(f"  highest sustainable rate: {'none' if best is None else f'{best:.0f}/s'}")
    idle = results["idle"]
    lines.append(
        f"idle stack: apps {idle['apps_core_percent']:.1f} % of a core, with PostgreSQL and "
        f"broker {idle['all_core_percent']:.1f} % ({idle['seconds']:.0f} s)"
    )
    lines.append("targets")
    for t in results["targets"]:
        lines.append(f"  {'met ' if t['met'] else 'MISS'}  {t['target']:<52} {t['measured']}")
    return lines


# -- main ---------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    """The command line."""
    root = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    root.add_argument("--quick", action="store_true", help="5 s steps and fewer requests")
    root.add_argument(
        "--broker",
        choices=("embedded", "apache"),
        default="apache" if os.environ.get("TEST_BROKER", "") == "apache" else "embedded",
        help="embedded Tansu, or the local 3-broker Apache Kafka (default from TEST_BROKER)",
    )
    root.add_argument("--rates", type=float, nargs="+", help="open-loop rates per second")
    root.add_argument("--step-seconds", type=float, help="seconds per open-loop rate (30)")
    root.add_argument("--concurrency", type=int, default=16, help="closed-loop connections")
    root.add_argument(
        "--documents",
        type=int,
        default=0,
        choices=range(len(ALG1_EXHAUSTED_DOCUMENTS) + 1),
        metavar="N",
        help="documents uploaded per open-loop case before its handover; the rest of the "
        "ten ALG1_EXHAUSTED requires are waived (0)",
    )
    root.add_argument("--var-dir", default="var/bench/stack", help="the stack's state directory")
    root.add_argument("--out", default="var/bench/latest.json", help="the JSON result file")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Run everything once and write the table and the JSON file."""
    args = parser().parse_args(argv)
    plan = Plan.of(args)
    # The broker clients' own warnings (reconnects while a step floods the stack) are noise
    # between the progress lines; what matters ends up in the figures.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    started = time.monotonic()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "broker": args.broker,
        "mode": "quick" if args.quick else "full",
        "plan": plan.__dict__,
    }
    say(f"hello ceiling: {plan.hello_requests} requests, concurrency {plan.concurrency}")
    results["ceilings"] = {"hello": hello_ceiling(plan)}
    say(f"hello ceiling: {results['ceilings']['hello']['rps']:.0f} req/s")
    var_dir = (PROJECT_ROOT / args.var_dir).resolve()
    with launched_stack(args.broker, var_dir, ready_timeout=180) as stack:
        results["broker_bootstrap"] = stack.bootstrap_servers
        say(f"stack up; idle cost over {plan.idle_seconds:.0f}s")
        time.sleep(2)
        results["idle"] = idle_cost(stack, plan.idle_seconds)
        say(f"idle: apps {results['idle']['apps_core_percent']:.1f} % of a core")
        kafka = KafkaSettings(
            BOOTSTRAP_SERVERS=stack.bootstrap_servers,
            ENABLE_IDEMPOTENCE=args.broker == "apache",
            REPLICATION_FACTOR=3 if args.broker == "apache" else 1,
        )
        results["ceilings"]["kafka"] = _timings(
            asyncio.run(ceilings.kafka_round_trip(kafka, plan.kafka_messages))
        )
        say(f"kafka round trip: p50 {results['ceilings']['kafka']['p50_ms']:.1f} ms")
        results["ceilings"]["postgres"] = _timings(
            asyncio.run(
                ceilings.postgres_commits(
                    stack.database_url("postgres"), plan.postgres_commits, concurrency=8
                )
            )
        )
        say(f"postgres commits: {results['ceilings']['postgres']['per_second']:.0f}/s")
        results["closed_loop"] = asyncio.run(closed_loop_api(stack, plan))
        steps = asyncio.run(open_loop(stack, plan))
    sustainable = [s.rate for s in steps if s.sustainable]
    results["open_loop"] = {
        "steps": [s.as_dict() for s in steps],
        "documents_uploaded": plan.documents,
        "highest_sustainable_rate": max(sustainable) if sustainable else None,
        "sustainable_when": f"p99 < {SUSTAINABLE_P99_MS:.0f} ms, all accepted and delivered "
        f"within {DRAIN_LIMIT_SECONDS:.0f} s, backlog at the end <= one second of load",
    }
    results["targets"] = targets(results)
    results["seconds"] = round(time.monotonic() - started, 1)
    out = (PROJECT_ROOT / args.out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    sys.stdout.write("\n" + "\n".join(table(results)) + "\n\n")
    say(f"results in {out} ({results['seconds']:.0f}s)")
    return 0
