"""From the real broker to the person's mailbox: case.transferred consumed, notices e-mailed.

The same event delivered twice records its notices once; the job runs inside the app
(advisory lock), woken by the NOTIFY of the recorded notices, reads the contact from a
loopback HTTP server and sends over aiosmtpd.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from notifications_api.adapters.tables import Notice
from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.app import create_app
from notifications_api.state import NotificationsState
from services.issuer import DevIssuer
from shared.messaging.kafka import KafkaPublisher
from shared.messaging.memory import InMemoryPublisher
from tests.conftest import BrokerHandle
from tests.integration.notifications.conftest import notifications_settings
from tests.integration.notifications.test_notices import (
    ERIKA,
    ContactServer,
    Mailbox,
    notice_settings,
    serve_contacts,
    serve_smtp,
    transfer_event,
)

pytestmark = pytest.mark.kafka


async def test_transfer_on_the_broker_reaches_the_mailbox_once(
    broker: BrokerHandle,
    issuer: DevIssuer,
    migrated_url: str,
) -> None:
    with serve_contacts() as contact_server, serve_smtp() as (mailbox, port):
        await transferred_twice_then_once_more(
            broker, issuer, migrated_url, contact_server, mailbox, port
        )


async def transferred_twice_then_once_more(
    broker: BrokerHandle,
    issuer: DevIssuer,
    migrated_url: str,
    contact_server: ContactServer,
    mailbox: Mailbox,
    port: int,
) -> None:
    case_id = uuid.uuid4()
    contact_server.contacts[str(case_id)] = ERIKA
    first, second = transfer_event(case_id), transfer_event(case_id)
    settings = notifications_settings(
        migrated_url, issuer, kafka=broker.kafka_settings(), consumers=True
    ).model_copy(
        update={
            "NOTICES": notice_settings(
                contact_server.url, port, JOB_ENABLED=True, INTERVAL_SECONDS=120.0
            )
        }
    )
    app = create_app(settings, publisher=InMemoryPublisher())
    async with app.router.lifespan_context(app):
        producer = KafkaPublisher(broker.kafka_settings(), client_id="test-notices-producer")
        try:
            # Same key, same partition: the repeat of `first` is consumed before `second`.
            for event in (first, first, second):
                await producer.publish(
                    event.topic,
                    event.subject.encode(),
                    event.model_dump_json().encode(),
                    [("content-type", b"application/cloudevents+json")],
                )
        finally:
            await producer.stop()
        state: NotificationsState = app.state.service

        async def sent() -> list[Notice]:
            async with NotificationsUnitOfWork(state.runtime.sessions) as uow:
                rows = await uow.session.scalars(select(Notice).where(Notice.case_id == case_id))
                return list(rows.all())

        # Far below the job's interval: the notices' NOTIFY wakes it.
        async with asyncio.timeout(45):
            while sum(n.status == "sent" for n in await sent()) < 4:
                await asyncio.sleep(0.1)
        # `second` came after the repeat of `first`: nothing more can come from the repeat.
        notices = await sent()

    assert sorted((str(n.source_event_id), n.kind) for n in notices) == sorted(
        (str(event.id), kind)
        for event in (first, second)
        for kind in ("change_of_responsibility", "disclosure_information")
    )
    assert len(mailbox.messages) == 4
    assert all(rcpt == [ERIKA["email"]] for rcpt in mailbox.recipients)
    subjects = sorted(str(m["Subject"]) for m in mailbox.messages)
    assert subjects == [
        "Information über die Übermittlung Ihrer Daten",
        "Information über die Übermittlung Ihrer Daten",
        "Mitteilung über den Wechsel der Zuständigkeit",
        "Mitteilung über den Wechsel der Zuständigkeit",
    ]
