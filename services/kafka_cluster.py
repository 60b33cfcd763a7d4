"""A local Apache Kafka cluster in KRaft mode: N combined broker+controller JVMs on loopback.

The jars come from Maven Central through `deploy/kafka-local/pom.xml` into
`.tools/kafka/<version>/libs` (resolved once). Each node gets its own `server.properties`,
data and log directories under `base_dir` and runs as its own `java` process in its own
session, so tests can crash (SIGKILL), freeze (SIGSTOP) and restart single brokers.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import concurrent.futures
import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

from shared.settings import KafkaSettings

POM = Path("deploy") / "kafka-local" / "pom.xml"
_MAVEN_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
_COMPLETE = ".complete"
MAVEN_TIMEOUT_SECONDS = 900.0
FORMAT_TIMEOUT_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 20.0
LOG_TAIL_LINES = 40

T = TypeVar("T")


class KafkaClusterError(RuntimeError):
    """Kafka could not be resolved, formatted, started or stopped."""


# -- the jars --------------------------------------------------------------------------------


def kafka_version(project_root: Path) -> str:
    """The Kafka version `deploy/kafka-local/pom.xml` pins (its `kafka.version` property)."""
    pom = project_root / POM
    try:
        root = ET.parse(pom).getroot()  # noqa: S314 - our own committed file
    except (OSError, ET.ParseError) as exc:
        raise KafkaClusterError(f"cannot read {pom}: {exc}") from exc
    version = root.findtext("m:properties/m:kafka.version", namespaces=_MAVEN_NS)
    if not version:
        raise KafkaClusterError(f"{pom} has no <kafka.version> property")
    return version.strip()


def kafka_libs(project_root: Path, *, progress: Callable[[str], None] | None = None) -> Path:
    """.tools/kafka/<version>/libs with every jar Kafka needs; runs `mvn` when missing.

    `mvn dependency:copy-dependencies` on deploy/kafka-local/pom.xml, with its local
    repository in .tools/m2, so a second call (or a second clone of the jars) fetches nothing.
    """
    project_root = project_root.resolve()
    version = kafka_version(project_root)
    libs = project_root / ".tools" / "kafka" / version / "libs"
    if (libs / _COMPLETE).exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaClusterError("Maven (mvn) is not on PATH; it resolves Apache Kafka's jars")
    say = progress or (lambda _line: None)
    say(f"resolving Apache Kafka {version} from Maven Central into {libs}")
    # Copied into a private directory first and renamed: a half-finished copy is never used,
    # and two runs resolving at once do not mix their files.
    partial = libs.with_name(f"libs.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        mvn,
        "-B",
        "-q",
        "-f",
        str(project_root / POM),
        f"-Dmaven.repo.local={project_root / '.tools' / 'm2'}",
        "dependency:copy-dependencies",
        f"-DoutputDirectory={partial}",
    ]
    started = time.monotonic()
    try:
        result = subprocess.run(  # noqa: S603 - fixed command, paths of this project
            command,
            capture_output=True,
            text=True,
            timeout=MAVEN_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise KafkaClusterError(f"mvn did not finish within {MAVEN_TIMEOUT_SECONDS:.0f}s") from exc
    if result.returncode != 0 or not any(partial.glob("kafka_2.13-*.jar")):
        shutil.rmtree(partial, ignore_errors=True)
        output = _tail_text(result.stdout + result.stderr, LOG_TAIL_LINES)
        raise KafkaClusterError(f"mvn could not resolve Apache Kafka {version}:\n{output}")
    (partial / _COMPLETE).write_text(version + "\n")
    if libs.exists() and not (libs / _COMPLETE).exists():
        shutil.rmtree(libs)  # left by an interrupted or manual copy: never trusted
    try:
        partial.rename(libs)
    except OSError:
        # Another run finished first; its copy is as good as ours.
        shutil.rmtree(partial, ignore_errors=True)
        if not (libs / _COMPLETE).exists():
            raise
    count = sum(1 for _ in libs.glob("*.jar"))
    say(f"resolved {count} jars in {time.monotonic() - started:.1f}s")
    return libs


# -- ports and small helpers -----------------------------------------------------------------


def _free_ports(host: str, count: int) -> list[int]:
    """`count` distinct ports free on `host` now (all sockets held until every one is picked)."""
    with contextlib.ExitStack() as stack:
        ports: list[int] = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket())
            sock.bind((host, 0))
            ports.append(sock.getsockname()[1])
        return ports


def _tail_text(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _tail_file(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            return _tail_text(fh.read().decode("utf-8", "replace"), lines)
    except OSError:
        return f"({path} not readable)"


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _run_in_own_loop(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to its end on a private event loop (callers may be inside one)."""

    async def main() -> T:
        return await factory()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


async def _registered_brokers(bootstrap: str, seconds: float) -> set[int]:
    """Ids of the unfenced brokers that `bootstrap` reports in a metadata answer."""
    from aiokafka.client import AIOKafkaClient

    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=int(seconds * 1000))
    try:
        await asyncio.wait_for(client.bootstrap(), timeout=seconds)
        metadata = await asyncio.wait_for(client.fetch_all_metadata(), timeout=seconds)
        if metadata.controller is None:
            return set()
        return {int(b.nodeId) for b in metadata.brokers()}
    finally:
        await client.close()


async def _under_replicated(bootstrap: str) -> list[str]:
    """`topic-partition` of every partition whose in-sync replicas are not all its replicas."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await asyncio.wait_for(admin.start(), timeout=10)
    try:
        topics = await asyncio.wait_for(admin.list_topics(), timeout=10)
        described = await asyncio.wait_for(admin.describe_topics(topics), timeout=10)
    finally:
        await admin.close()
    lagging = []
    for topic in described:
        if topic["error_code"] != 0:
            lagging.append(f"{topic['topic']} (error {topic['error_code']})")
            continue
        for part in topic["partitions"]:
            if part["leader"] < 0 or set(part["isr"]) != set(part["replicas"]):
                lagging.append(f"{topic['topic']}-{part['partition']}")
    return sorted(lagging)


# -- one node ----------------------------------------------------------------------------------


@dataclass
class _Node:
    node_id: int
    directory: Path
    broker_port: int
    controller_port: int
    process: subprocess.Popen[bytes] | None = None
    stdout: IO[bytes] | None = field(default=None, repr=False)

    @property
    def config_path(self) -> Path:
        return self.directory / "server.properties"

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def log_dir(self) -> Path:
        return self.directory / "logs"

    @property
    def server_log(self) -> Path:
        return self.log_dir / "server.log"

    @property
    def stdout_log(self) -> Path:
        return self.log_dir / "stdout.log"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def reap(self, timeout: float) -> bool:
        """Wait for the process to end; whether it did."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def forget(self) -> None:
        self.process = None
        if self.stdout is not None:
            self.stdout.close()
            self.stdout = None

    def log_tail(self) -> str:
        parts = []
        errors = [
            line
            for line in _tail_file(self.server_log, 2000).splitlines()
            if " ERROR " in line or " FATAL " in line
        ]
        if errors:
            parts.append("--- first errors ---\n" + "\n".join(errors[:3]))
        for path in (self.stdout_log, self.server_log):
            if path.exists():
                parts.append(f"--- {path} ---\n{_tail_file(path)}")
        return "\n".join(parts) or f"(no log under {self.log_dir})"


# -- the cluster -------------------------------------------------------------------------------

LOG4J2_PROPERTIES = """\
# Brokers log to <node>/logs/server.log (rolled at 20 MB, two files kept).
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.filePattern = ${sys:kafka.logs.dir}/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.clients.name = org.apache.kafka.clients
logger.clients.level = warn
"""


def new_cluster_id() -> str:
    """A random KRaft cluster id: 16 bytes, URL-safe base64, never beginning with "-".

    Kafka's own `Uuid.randomUuid` draws again for an id that begins with "-", since command
    lines would read it as an option; so does this.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class ApacheKafkaCluster:
    """`nodes` Kafka processes, each broker and KRaft controller, on loopback ports."""

    def __init__(
        self,
        base_dir: Path,
        *,
        nodes: int = 3,
        host: str = "127.0.0.1",
        libs: Path | None = None,
        heap: str = "384m",
    ) -> None:
        if nodes < 1:
            raise ValueError("a cluster needs at least one node")
        self.base_dir = base_dir.resolve()
        self.host = host
        self.heap = heap
        self._libs = libs
        ports = _free_ports(host, 2 * nodes)
        self._nodes = {
            n: _Node(
                node_id=n,
                directory=self.base_dir / f"node-{n}",
                broker_port=ports[2 * (n - 1)],
                controller_port=ports[2 * (n - 1) + 1],
            )
            for n in range(1, nodes + 1)
        }
        self._atexit_registered = False

    # -- addresses -----------------------------------------------------------------------

    @property
    def bootstrap_servers(self) -> str:
        """Every broker's client listener, comma separated."""
        return ",".join(f"{self.host}:{n.broker_port}" for n in self._nodes.values())

    @property
    def node_ids(self) -> list[int]:
        """The node ids (broker ids), 1..nodes."""
        return list(self._nodes)

    def broker_address(self, node_id: int) -> str:
        """`host:port` of one broker's client listener."""
        return f"{self.host}:{self._node(node_id).broker_port}"

    def log_path(self, node_id: int) -> Path:
        """One node's server log."""
        return self._node(node_id).server_log

    def data_dir(self, node_id: int) -> Path:
        """One node's log directory (`log.dirs`): `<topic>-<partition>/` segment files."""
        return self._node(node_id).data_dir

    def pid(self, node_id: int) -> int | None:
        """Process id of a running node."""
        node = self._node(node_id)
        return node.process.pid if node.running() and node.process else None

    @property
    def libs(self) -> Path:
        """The directory of Kafka's jars (resolved on first use)."""
        if self._libs is None:
            self._libs = kafka_libs(Path(__file__).resolve().parent.parent)
        return self._libs

    def kafka_settings(self) -> KafkaSettings:
        """Client settings for this cluster: every topic replicated 3 times, idempotent producer."""
        return KafkaSettings(
            BOOTSTRAP_SERVERS=self.bootstrap_servers,
            REPLICATION_FACTOR=min(3, len(self._nodes)),
            ENABLE_IDEMPOTENCE=True,
        )

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 120.0) -> None:
        """Format KRaft storage (first time), start every node, wait until all are registered."""
        deadline = time.monotonic() + timeout
        self._write_configs()
        self._format_storage(min(timeout, FORMAT_TIMEOUT_SECONDS))
        if not self._atexit_registered:
            atexit.register(self._kill_all)
            self._atexit_registered = True
        for node in self._nodes.values():
            if not node.running():
                self._spawn(node)
        try:
            self._wait_registered(set(self._nodes), deadline)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM every node (controlled shutdown), SIGKILL what still runs after `timeout`."""
        running = [n for n in self._nodes.values() if n.process is not None]
        for node in running:
            node.signal(signal.SIGCONT)
            node.signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for node in running:
            if not node.reap(max(0.0, deadline - time.monotonic())):
                node.signal(signal.SIGKILL)
                node.reap(10.0)
            node.forget()

    def kill_node(self, node_id: int) -> None:
        """SIGKILL one node: a crash without controlled shutdown."""
        node = self._node(node_id)
        if not node.running():
            raise KafkaClusterError(f"node {node_id} is not running")
        node.signal(signal.SIGKILL)
        node.reap(10.0)
        node.forget()

    def start_node(self, node_id: int, timeout: float = 60.0) -> None:
        """Restart a stopped or killed node; returns once it is registered and answers metadata."""
        node = self._node(node_id)
        if node.running():
            raise KafkaClusterError(f"node {node_id} is already running")
        self._spawn(node)
        self._wait_registered({node_id}, time.monotonic() + timeout)

    def wait_in_sync(self, timeout: float = 60.0) -> None:
        """Until every partition of every topic has all its replicas in sync (after a restart)."""
        deadline = time.monotonic() + timeout
        lagging = ["(not asked yet)"]
        while time.monotonic() < deadline:
            try:
                lagging = _run_in_own_loop(
                    functools.partial(_under_replicated, self.bootstrap_servers)
                )
            except Exception as exc:  # a broker still settling: ask again
                lagging = [repr(exc)]
            if not lagging:
                return
            time.sleep(0.25)
        shown = ", ".join(lagging[:10]) + (" ..." if len(lagging) > 10 else "")
        raise KafkaClusterError(f"partitions not fully in sync after {timeout:.0f}s: {shown}")

    def pause(self) -> None:
        """Freeze every node (SIGSTOP): clients time out, nothing is lost."""
        for node in self._nodes.values():
            node.signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let every frozen node run again (SIGCONT)."""
        for node in self._nodes.values():
            node.signal(signal.SIGCONT)

    def __enter__(self) -> ApacheKafkaCluster:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- internals -----------------------------------------------------------------------

    def _node(self, node_id: int) -> _Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise KafkaClusterError(f"no node {node_id}; nodes are {self.node_ids}") from None

    def _iter_nodes(self) -> Iterator[_Node]:
        return iter(self._nodes.values())

    def _server_properties(self, node: _Node) -> str:
        replicas = min(3, len(self._nodes))
        min_isr = min(2, replicas)
        voters = ",".join(
            f"{n.node_id}@{self.host}:{n.controller_port}" for n in self._nodes.values()
        )
        settings = {
            "process.roles": "broker,controller",
            "node.id": str(node.node_id),
            "controller.quorum.voters": voters,
            "listeners": (
                f"PLAINTEXT://{self.host}:{node.broker_port},"
                f"CONTROLLER://{self.host}:{node.controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://{self.host}:{node.broker_port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(node.data_dir),
            "num.partitions": "3",
            "default.replication.factor": str(replicas),
            "min.insync.replicas": str(min_isr),
            "offsets.topic.replication.factor": str(replicas),
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": str(replicas),
            "transaction.state.log.min.isr": str(min_isr),
            "transaction.state.log.num.partitions": "10",
            "share.coordinator.state.topic.replication.factor": str(replicas),
            "share.coordinator.state.topic.min.isr": str(min_isr),
            "share.coordinator.state.topic.num.partitions": "10",
            "group.initial.rebalance.delay.ms": "0",
            # A crashed broker is fenced (and leaves every ISR) within a few seconds, so
            # leaders move quickly; the defaults (2 s / 9 s) are made for real networks.
            "broker.heartbeat.interval.ms": "500",
            "broker.session.timeout.ms": "4000",
            "unclean.leader.election.enable": "false",
            # Two cores shared by three JVMs and the test suite: few threads per broker.
            "num.network.threads": "2",
            "num.io.threads": "4",
            "num.replica.fetchers": "1",
            "background.threads": "4",
            "num.recovery.threads.per.data.dir": "1",
            "log.cleaner.threads": "1",
            "log.segment.bytes": str(64 * 1024 * 1024),
        }
        lines = [f"{key}={value}" for key, value in settings.items()]
        return "# Written by services/kafka_cluster.py on every start.\n" + "\n".join(lines) + "\n"

    def _write_configs(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        (self.base_dir / "log4j2.properties").write_text(LOG4J2_PROPERTIES)
        for node in self._nodes.values():
            node.data_dir.mkdir(parents=True, exist_ok=True)
            node.log_dir.mkdir(parents=True, exist_ok=True)
            node.config_path.write_text(self._server_properties(node))

    def _cluster_id(self) -> str:
        path = self.base_dir / "cluster.id"
        if path.exists():
            return path.read_text().strip()
        cluster_id = new_cluster_id()
        path.write_text(cluster_id + "\n")
        return cluster_id

    def _java(self) -> str:
        java = shutil.which("java")
        if java is None:
            raise KafkaClusterError("java is not on PATH; Apache Kafka needs Java 17 or newer")
        return java

    def _classpath(self) -> str:
        return str(self.libs / "*")

    def _format_storage(self, timeout: float) -> None:
        """`StorageTool format` for every node whose data directory is still empty."""
        cluster_id = self._cluster_id()
        pending = [n for n in self._nodes.values() if not (n.data_dir / "meta.properties").exists()]
        if not pending:
            return
        java = self._java()
        # One JVM per node, run side by side: formatting is mostly JVM start-up.
        formats = [
            (
                node,
                subprocess.Popen(  # noqa: S603 - java from PATH, arguments built here
                    [
                        java,
                        "-Xmx128m",
                        "-XX:TieredStopAtLevel=1",
                        f"-Dlog4j2.configurationFile={self.base_dir / 'log4j2.properties'}",
                        f"-Dkafka.logs.dir={node.log_dir}",
                        "-cp",
                        self._classpath(),
                        "kafka.tools.StorageTool",
                        "format",
                        # One token: an id beginning with "-" must not read as an option.
                        f"--cluster-id={cluster_id}",
                        "--config",
                        str(node.config_path),
                        "--ignore-formatted",
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                ),
            )
            for node in pending
        ]
        deadline = time.monotonic() + timeout
        failures = []
        for node, proc in formats:
            try:
                output, _ = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                output, _ = proc.communicate()
                failures.append(f"node {node.node_id}: format timed out after {timeout:.0f}s")
                continue
            if proc.returncode != 0:
                text = _tail_text(output.decode("utf-8", "replace"), LOG_TAIL_LINES)
                failures.append(f"node {node.node_id}: exit {proc.returncode}\n{text}")
        if failures:
            raise KafkaClusterError("formatting KRaft storage failed:\n" + "\n".join(failures))

    def _spawn(self, node: _Node) -> None:
        node.log_dir.mkdir(parents=True, exist_ok=True)
        node.stdout = node.stdout_log.open("ab")
        command = [
            self._java(),
            f"-Xmx{self.heap}",
            f"-Xms{self.heap}",
            "-XX:+UseSerialGC",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.base_dir / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={node.log_dir}",
            "-cp",
            self._classpath(),
            "kafka.Kafka",
            str(node.config_path),
        ]
        node.process = subprocess.Popen(  # noqa: S603 - java from PATH, arguments built here
            command,
            stdin=subprocess.DEVNULL,
            stdout=node.stdout,
            stderr=subprocess.STDOUT,
            cwd=node.directory,
            start_new_session=True,
        )

    def _wait_registered(self, wanted: set[int], deadline: float) -> None:
        """Until every node in `wanted` is unfenced in the metadata and answers on its port."""
        last_error = "no answer yet"
        while True:
            for node in self._nodes.values():
                if node.process is not None and node.process.poll() is not None:
                    code = node.process.returncode
                    tail = node.log_tail()
                    node.forget()
                    raise KafkaClusterError(
                        f"Kafka node {node.node_id} exited with code {code} while starting\n{tail}"
                    )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                tails = "\n".join(self._node(n).log_tail() for n in sorted(wanted))
                raise KafkaClusterError(
                    f"Kafka nodes {sorted(wanted)} not registered in time ({last_error})\n{tails}"
                )
            try:
                for node_id in sorted(wanted):
                    address = self.broker_address(node_id)
                    if not _listening(self.host, self._node(node_id).broker_port):
                        last_error = f"{address} not listening yet"
                        break
                    seen = _run_in_own_loop(
                        functools.partial(_registered_brokers, address, min(5.0, remaining))
                    )
                    if not wanted <= seen:
                        last_error = f"{address} sees brokers {sorted(seen)}"
                        break
                else:
                    return
            except Exception as exc:  # not listening yet, no controller yet, ...
                last_error = repr(exc)
            time.sleep(min(0.25, max(0.0, deadline - time.monotonic())))

    def _kill_all(self) -> None:
        """Last resort at interpreter exit: no JVM outlives the process that started it."""
        for node in self._nodes.values():
            node.signal(signal.SIGCONT)
            node.signal(signal.SIGKILL)


def main() -> int:
    """`python -m services.kafka_cluster`: fetch the jars (what `make kafka` runs)."""
    root = Path(__file__).resolve().parent.parent

    def say(line: str) -> None:
        sys.stdout.write(f"kafka: {line}\n")
        sys.stdout.flush()

    try:
        libs = kafka_libs(root, progress=say)
    except KafkaClusterError as exc:
        sys.stderr.write(f"kafka: {exc}\n")
        return 1
    say(f"Apache Kafka {kafka_version(root)} in {libs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
