"""Alembic plumbing: one history per service, driven programmatically (no alembic.ini)."""

from __future__ import annotations

import asyncio

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from shared.db.base import make_metadata
from shared.db.tables import create_infrastructure_tables_v1, leases_table


def alembic_config(package: str, url: str) -> Config:
    """Config for `<package>/migrations` against `url`."""
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option(
        "file_template",
        "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s",
    )
    return config


def upgrade(package: str, url: str, revision: str = "heads") -> None:
    """Migrate the service database up to `revision`."""
    command.upgrade(alembic_config(package, url), revision)


def downgrade(package: str, url: str, revision: str) -> None:
    """Migrate the service database down to `revision`."""
    command.downgrade(alembic_config(package, url), revision)


def revision(package: str, url: str, message: str, autogenerate: bool = True) -> None:
    """Write a new revision file; review its output before committing it."""
    command.revision(alembic_config(package, url), message=message, autogenerate=autogenerate)


def run_env(target_metadata: MetaData) -> None:
    """Body of each service's migrations/env.py."""
    config = context.config
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=target_metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = async_engine_from_config(
            config.get_section(config.config_ini_section, {}),
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
            hide_parameters=True,
        )
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())


def create_infrastructure_v1() -> None:
    """Create outbox, inbox, leases and idempotency tables (v1) inside a migration."""
    bind = op.get_bind()
    for table in create_infrastructure_tables_v1(make_metadata()):
        table.create(bind)


def drop_infrastructure_v1() -> None:
    """Drop the v1 infrastructure tables inside a migration."""
    bind = op.get_bind()
    for table in reversed(create_infrastructure_tables_v1(make_metadata())):
        table.drop(bind)


def drop_leases_v2() -> None:
    """Infrastructure v2 inside a migration: drop the leases table (advisory locks replaced it)."""
    op.drop_table("leases")


def restore_leases_v2() -> None:
    """Revert infrastructure v2: the v1 leases table again."""
    leases_table(make_metadata()).create(op.get_bind())
