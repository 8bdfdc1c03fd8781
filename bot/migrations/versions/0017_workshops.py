"""workshop requests and workshops (handlers/workshops/): members' requests, the workshops made
of them (each an event), the guests of an event for named people only, the satisfaction answers

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("guests_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "workshops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pole_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("theme", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"]),
        sa.ForeignKeyConstraint(["pole_id"], ["poles.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("workshops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workshops_pole_id"), ["pole_id"], unique=False)
    op.create_table(
        "workshop_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pole_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("theme", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["pole_id"], ["poles.id"]),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshops.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pole_id", "person_id", "key"),
    )
    with op.batch_alter_table("workshop_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workshop_requests_key"), ["key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_workshop_requests_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_workshop_requests_pole_id"), ["pole_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_workshop_requests_workshop_id"), ["workshop_id"], unique=False
        )
    op.create_table(
        "event_guests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "person_id"),
    )
    with op.batch_alter_table("event_guests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_guests_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_guests_person_id"), ["person_id"], unique=False)
    op.create_table(
        "workshop_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("company", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshops.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workshop_id", "person_id"),
    )
    with op.batch_alter_table("workshop_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workshop_feedback_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workshop_feedback_workshop_id"), ["workshop_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("workshop_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshop_feedback_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_workshop_feedback_person_id"))
    op.drop_table("workshop_feedback")
    with op.batch_alter_table("event_guests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_guests_person_id"))
        batch_op.drop_index(batch_op.f("ix_event_guests_event_id"))
    op.drop_table("event_guests")
    with op.batch_alter_table("workshop_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshop_requests_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_workshop_requests_pole_id"))
        batch_op.drop_index(batch_op.f("ix_workshop_requests_person_id"))
        batch_op.drop_index(batch_op.f("ix_workshop_requests_key"))
    op.drop_table("workshop_requests")
    with op.batch_alter_table("workshops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshops_pole_id"))
    op.drop_table("workshops")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("guests_only")
