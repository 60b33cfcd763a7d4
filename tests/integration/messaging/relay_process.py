"""A relay replica as a process of its own, for crash tests: `python -m ... URL SERVERS NAME`.

Prints `active` once it holds the relay's lock, then runs until killed.
"""

from __future__ import annotations

import asyncio
import sys

from shared.db.session import create_engine, create_session_factory
from shared.messaging.kafka import KafkaPublisher
from shared.messaging.relay import OutboxRelay
from shared.settings import DatabaseSettings, KafkaSettings, RelaySettings


async def main(url: str, bootstrap: str, service: str) -> None:
    """Run one relay; announce on stdout when it became the active one."""
    engine = create_engine(DatabaseSettings(URL=url))
    publisher = KafkaPublisher(
        KafkaSettings(BOOTSTRAP_SERVERS=bootstrap, REQUEST_TIMEOUT_MS=5000), client_id=service
    )
    relay = OutboxRelay(service, create_session_factory(engine), publisher, RelaySettings())
    task = asyncio.create_task(relay.run())
    for _ in range(600):
        if relay.lock.held:
            sys.stdout.write("active\n")
            sys.stdout.flush()
            break
        await asyncio.sleep(0.05)
    await task


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
