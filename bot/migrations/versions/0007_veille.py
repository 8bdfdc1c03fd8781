"""veille

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "editions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pole_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pole_id"],
            ["poles.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("editions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_editions_pole_id"), ["pole_id"], unique=False)

    op.create_table(
        "feed_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pole_id", sa.Integer(), nullable=False),
        sa.Column("canonical_url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("title_key", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("first_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pole_id"],
            ["poles.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pole_id", "canonical_url"),
    )
    with op.batch_alter_table("feed_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feed_items_first_seen_at"), ["first_seen_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_feed_items_pole_id"), ["pole_id"], unique=False)
        batch_op.create_index("ix_feed_items_title_key", ["pole_id", "title_key"], unique=False)

    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pole_id", sa.Integer(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("theme", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("etag", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("last_modified", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("last_ok_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pole_id"],
            ["poles.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pole_id", "url"),
    )
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feeds_pole_id"), ["pole_id"], unique=False)

    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pole_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pole_id"],
            ["poles.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pole_id", "platform", "chat_id"),
    )
    with op.batch_alter_table("digest_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_digest_subscriptions_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_digest_subscriptions_pole_id"), ["pole_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("digest_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_subscriptions_pole_id"))
        batch_op.drop_index(batch_op.f("ix_digest_subscriptions_person_id"))

    op.drop_table("digest_subscriptions")
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feeds_pole_id"))

    op.drop_table("feeds")
    with op.batch_alter_table("feed_items", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_items_title_key")
        batch_op.drop_index(batch_op.f("ix_feed_items_pole_id"))
        batch_op.drop_index(batch_op.f("ix_feed_items_first_seen_at"))

    op.drop_table("feed_items")
    with op.batch_alter_table("editions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_editions_pole_id"))

    op.drop_table("editions")
