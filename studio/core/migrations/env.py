"""Alembic environment for project files.

Studio runs migrations itself (see `studio.core.project_file`), handing alembic a connection
that is already inside a `BEGIN IMMEDIATE` transaction with foreign keys off, so an upgrade is
all-or-nothing and batch table rebuilds cannot cascade deletes. The `alembic` command line
(for writing new revisions) works through `alembic.ini` and a `sqlalchemy.url`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from studio.core.schema import metadata

config = context.config


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )


connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
    context.run_migrations()
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as own_connection:
        _configure(own_connection)
        context.run_migrations()
