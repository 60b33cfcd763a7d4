"""The local Apache Kafka cluster: replication 3, min ISR 2, idempotent acks=all, leader failover.

These run only on the 3-broker cluster (`make test-kafka`, TEST_BROKER=apache); elsewhere
they skip, and under TEST_BROKER=apache without the cluster they fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any, TypeAlias

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError
from aiokafka.record.default_records import DefaultRecordBatch
from aiokafka.record.memory_records import MemoryRecords

from services.kafka_cluster import ApacheKafkaCluster
from shared.events.registry import all_topics
from shared.messaging.kafka import KafkaPublisher, ensure_topics
from shared.settings import KafkaSettings
from tests.conftest import BrokerHandle
from tests.integration.kafka.conftest import Measure

pytestmark = pytest.mark.kafka

Record: TypeAlias = ConsumerRecord[bytes, bytes]


async def new_topic(broker: BrokerHandle, partitions: int) -> str:
    """A fresh topic with the cluster's defaults (replication 3, min ISR 2)."""
    name = f"cluster-test-{uuid.uuid4().hex[:10]}"
    settings = broker.kafka_settings().model_copy(update={"TOPIC_PARTITIONS": partitions})
    await ensure_topics(settings, [name])
    return name


async def describe(bootstrap: str, topics: list[str]) -> list[dict[str, Any]]:
    """Partitions (leader, replicas, isr) of `topics`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described: list[dict[str, Any]] = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return described


async def topic_configs(bootstrap: str, topics: list[str], key: str) -> dict[str, str]:
    """The value of config `key` of each topic, as the cluster reports it.

    A broker answers for the topics its metadata log already holds; one that is still
    catching up (after a restart in an earlier test) answers with an error code per
    topic, so the question is asked again until every topic is answered, for 30 s.
    """
    deadline = time.monotonic() + 30
    errors: dict[str, int] = {}
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            responses = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, t) for t in topics]
            )
        finally:
            await admin.close()
        values: dict[str, str] = {}
        errors = {}
        for response in responses:
            for error_code, _message, _type, name, entries in response.resources:
                if error_code:
                    errors[name] = error_code
                    continue
                for entry in entries:
                    if entry[0] == key:
                        values[name] = entry[1]
        if not errors:
            return values
        assert time.monotonic() < deadline, f"describe_configs errors after 30 s: {errors}"
        await asyncio.sleep(0.5)


async def leader_of(bootstrap: str, topic: str, partition: int) -> int:
    """The broker leading `topic`/`partition`, once the topic has one."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        (described,) = await describe(bootstrap, [topic])
        for part in described["partitions"]:
            if part["partition"] == partition and part["leader"] >= 0:
                return int(part["leader"])
        await asyncio.sleep(0.2)
    raise AssertionError(f"{topic}-{partition} has no leader after 30 s")


async def read_all(bootstrap: str, topic: str, timeout: float = 60.0) -> list[Record]:
    """Every record of `topic`, read up to the end offsets (so duplicates are seen too)."""
    (described,) = await describe(bootstrap, [topic])
    tps = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
    assert tps, f"{topic} has no partitions"
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[Record] = []
        deadline = time.monotonic() + timeout
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            assert time.monotonic() < deadline, f"{topic} not read to its end in {timeout}s"
            for part in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(part)
    finally:
        await consumer.stop()
    return records


def stored_batches(partition_dir: Path) -> list[DefaultRecordBatch]:
    """The record batches in a replica's segment files, as the broker wrote them to disk."""
    batches: list[DefaultRecordBatch] = []
    for segment in sorted(partition_dir.glob("*.log")):
        records = MemoryRecords(segment.read_bytes())
        while (batch := records.next_batch()) is not None:
            assert isinstance(batch, DefaultRecordBatch)
            batches.append(batch)
    return batches


async def restore(cluster: ApacheKafkaCluster, nodes: list[int]) -> None:
    """Start the given nodes again and wait until every partition is fully replicated."""
    for node in nodes:
        if cluster.pid(node) is None:
            await asyncio.to_thread(cluster.start_node, node)
    await asyncio.to_thread(cluster.wait_in_sync, 90.0)


class TestTopics:
    async def test_every_topic_has_three_in_sync_replicas_and_min_isr_two(
        self, broker: BrokerHandle, cluster: ApacheKafkaCluster
    ) -> None:
        topics = sorted(all_topics())
        described = await describe(cluster.bootstrap_servers, topics)
        assert {t["topic"] for t in described} == set(topics)
        for topic in described:
            for part in topic["partitions"]:
                assert len(part["replicas"]) == 3, (topic["topic"], part)
                assert sorted(part["isr"]) == sorted(part["replicas"]), (topic["topic"], part)
        min_isr = await topic_configs(cluster.bootstrap_servers, topics, "min.insync.replicas")
        assert min_isr == dict.fromkeys(topics, "2")


class TestIdempotentProducer:
    async def test_every_replica_stores_the_batches_with_a_producer_id_and_sequence(
        self, broker: BrokerHandle, cluster: ApacheKafkaCluster
    ) -> None:
        settings = broker.kafka_settings()
        assert settings.ENABLE_IDEMPOTENCE
        assert settings.REPLICATION_FACTOR == 3
        idempotent, plain = await new_topic(broker, 1), await new_topic(broker, 1)
        publisher = KafkaPublisher(settings, client_id="test-idempotent")
        without = KafkaPublisher(
            settings.model_copy(update={"ENABLE_IDEMPOTENCE": False}), client_id="test-plain"
        )
        try:
            for n in range(3):
                await publisher.publish(idempotent, b"case-1", b"%d" % n, [])
                await without.publish(plain, b"case-1", b"%d" % n, [])
        finally:
            await publisher.stop()
            await without.stop()

        for node in cluster.node_ids:
            # acks=all: the acknowledgement came after every in-sync replica had the batch.
            batches = stored_batches(cluster.data_dir(node) / f"{idempotent}-0")
            assert [b.base_sequence for b in batches] == [0, 1, 2], f"node {node}"
            producer_ids = {b.producer_id for b in batches}
            assert len(producer_ids) == 1, f"node {node}"
            assert min(producer_ids) >= 0, f"node {node}"
            # The same check fails for a producer without idempotence: the check can fail.
            plain_batches = stored_batches(cluster.data_dir(node) / f"{plain}-0")
            assert len(plain_batches) == 3, f"node {node}"
            assert {b.producer_id for b in plain_batches} == {-1}, f"node {node}"


class TestMinInsyncReplicas:
    async def test_acks_all_is_refused_with_one_broker_alive_and_taken_with_two(
        self, broker: BrokerHandle, cluster: ApacheKafkaCluster, measure: Measure
    ) -> None:
        """With combined broker+controller nodes, two dead nodes also take the controller
        quorum away, so the ISR cannot shrink: the leader holds an acks=all write until the
        request times out instead of answering NOT_ENOUGH_REPLICAS. Either way nothing is
        acknowledged until a second replica is back."""
        topic = await new_topic(broker, 1)
        leader = await leader_of(cluster.bootstrap_servers, topic, 0)
        others = [n for n in cluster.node_ids if n != leader]
        publisher = KafkaPublisher(broker.kafka_settings(), client_id="test-min-isr")
        try:
            await publisher.publish(topic, b"case-1", b"before", [])
            for node in others:
                cluster.kill_node(node)

            # A producer without idempotence gives up after its request timeout.
            plain = AIOKafkaProducer(
                bootstrap_servers=cluster.bootstrap_servers, acks="all", request_timeout_ms=3000
            )
            await asyncio.wait_for(plain.start(), 30)
            started = time.monotonic()
            try:
                with pytest.raises(KafkaError):
                    await asyncio.wait_for(plain.send_and_wait(topic, b"plain", b"case-2"), 30)
            finally:
                await asyncio.wait_for(plain.stop(), 30)
            measure(
                f"acks=all produce with 1 of 3 brokers failed after "
                f"{time.monotonic() - started:.1f}s"
            )
            # The idempotent producer retries instead: no acknowledgement while alone.
            pending = asyncio.ensure_future(publisher.publish(topic, b"case-1", b"alone", []))
            done, _ = await asyncio.wait([pending], timeout=8)
            assert not done, "acks=all acknowledged with one of three brokers alive"

            # The leader itself is up and takes an acks=1 write: the refusal is acks=all's.
            loose = AIOKafkaProducer(
                bootstrap_servers=cluster.broker_address(leader), acks=1, request_timeout_ms=5000
            )
            await asyncio.wait_for(loose.start(), 30)
            try:
                await asyncio.wait_for(loose.send_and_wait(topic, b"acks-1", b"case-3"), 30)
            finally:
                await asyncio.wait_for(loose.stop(), 30)

            started = time.monotonic()
            await asyncio.to_thread(cluster.start_node, others[0])
            await asyncio.wait_for(pending, 60)
            measure(
                f"held acks=all produce acknowledged {time.monotonic() - started:.1f}s after "
                "a second broker was started"
            )
            await asyncio.wait_for(publisher.publish(topic, b"case-1", b"two", []), 30)
        finally:
            await restore(cluster, others)
            await asyncio.wait_for(publisher.stop(), 30)

        records = await read_all(cluster.bootstrap_servers, topic)
        mine = [r.value for r in records if r.key == b"case-1"]
        assert mine == [b"before", b"alone", b"two"]
        assert b"acks-1" in [r.value for r in records]


class TestPublisherStop:
    async def test_stop_returns_while_acks_all_cannot_be_met(
        self, broker: BrokerHandle, cluster: ApacheKafkaCluster, measure: Measure
    ) -> None:
        """An idempotent producer never expires a batch; stop() must not wait for it."""
        topic = await new_topic(broker, 1)
        leader = await leader_of(cluster.bootstrap_servers, topic, 0)
        others = [n for n in cluster.node_ids if n != leader]
        settings = broker.kafka_settings().model_copy(update={"REQUEST_TIMEOUT_MS": 3000})
        publisher = KafkaPublisher(settings, client_id="test-stop")
        try:
            await publisher.publish(topic, b"case-1", b"before", [])
            for node in others:
                cluster.kill_node(node)
            pending = asyncio.ensure_future(publisher.publish(topic, b"case-1", b"held", []))
            done, _ = await asyncio.wait([pending], timeout=2)
            assert not done
            started = time.monotonic()
            await asyncio.wait_for(publisher.stop(), 20)
            stopped_after = time.monotonic() - started
            measure(f"publisher stop with acks=all unmet returned after {stopped_after:.1f}s")
            assert stopped_after < 10
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, KafkaError):
                await pending
        finally:
            await restore(cluster, others)


class TestLeaderFailover:
    async def test_killing_a_leader_mid_stream_loses_and_duplicates_nothing(
        self, broker: BrokerHandle, cluster: ApacheKafkaCluster, measure: Measure
    ) -> None:
        topic = await new_topic(broker, 3)
        victim = await leader_of(cluster.bootstrap_servers, topic, 0)
        keys = [f"case-{k}" for k in range(12)]
        total, kill_at = 360, 120
        publisher = KafkaPublisher(broker.kafka_settings(), client_id="test-failover")
        retries, slowest, acked_while_down = 0, 0.0, 0
        next_seq: dict[str, int] = defaultdict(int)
        deadline = time.monotonic() + 180
        try:
            for n in range(total):
                if n == kill_at:
                    cluster.kill_node(victim)
                key = keys[n % len(keys)]
                value = f"{key}:{next_seq[key]}".encode()
                started = time.monotonic()
                # What the outbox relay does: the same record again until it is acknowledged.
                while True:
                    assert time.monotonic() < deadline, f"record {n} not acknowledged in time"
                    try:
                        # Bounded: a failover slower than this is a failure of its own.
                        await asyncio.wait_for(
                            publisher.publish(topic, key.encode(), value, []), 60
                        )
                        break
                    except KafkaError:
                        retries += 1
                        await asyncio.sleep(0.2)
                slowest = max(slowest, time.monotonic() - started)
                next_seq[key] += 1
                if n >= kill_at:
                    acked_while_down += 1
            new_leader = await leader_of(cluster.bootstrap_servers, topic, 0)
        finally:
            await restore(cluster, [victim])
            await asyncio.wait_for(publisher.stop(), 30)

        measure(
            f"{total} keyed records, leader {victim} killed after {kill_at}: "
            f"slowest publish {slowest:.1f}s, {retries} publish retries"
        )
        assert new_leader != victim
        assert acked_while_down == total - kill_at

        records = await read_all(cluster.bootstrap_servers, topic)
        by_key: dict[str, list[str]] = defaultdict(list)
        partitions: dict[str, set[int]] = defaultdict(set)
        for record in sorted(records, key=lambda r: (r.partition, r.offset)):
            assert record.key is not None
            assert record.value is not None
            by_key[record.key.decode()].append(record.value.decode())
            partitions[record.key.decode()].add(record.partition)
        assert len(records) == total
        assert all(len(p) == 1 for p in partitions.values())
        assert dict(by_key) == {
            key: [f"{key}:{seq}" for seq in range(next_seq[key])] for key in keys
        }


def test_settings_of_the_cluster_ask_for_replication_and_idempotence(
    cluster: ApacheKafkaCluster,
) -> None:
    settings: KafkaSettings = cluster.kafka_settings()
    assert settings.BOOTSTRAP_SERVERS.split(",") == [
        cluster.broker_address(n) for n in cluster.node_ids
    ]
    assert (settings.REPLICATION_FACTOR, settings.ENABLE_IDEMPOTENCE) == (3, True)
