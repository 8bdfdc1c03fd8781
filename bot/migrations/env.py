"""Alembic environment: the bot always passes an open connection (see bot.storage.database)."""

from alembic import context
from sqlmodel import SQLModel

import bot.storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.storage.search import in_metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Lancez les migrations avec « rse-bot db upgrade ».")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    # The full-text search tables are made by migration 0015, not from the models.
    include_name=in_metadata,
)
with context.begin_transaction():
    context.run_migrations()
