"""Alembic environment: migrations run against the URL handed in by yuqing.db.session."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from yuqing.db.models import Base

config = context.config
target_metadata = Base.metadata
# Tables a library owns (APScheduler's job store): created by a migration, not described by a model.
LIBRARY_TABLES = {"apscheduler_jobs"}


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    """Keep autogenerate from proposing to drop the library-owned tables."""
    table = obj.table.name if type_ in ("index", "column") else name
    return table not in LIBRARY_TABLES


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                     poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
