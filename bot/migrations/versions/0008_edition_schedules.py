"""edition schedules

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "edition_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pole_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("schedule", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("handled_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pole_id"],
            ["poles.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pole_id", "kind"),
    )
    with op.batch_alter_table("edition_schedules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_edition_schedules_pole_id"), ["pole_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("edition_schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_edition_schedules_pole_id"))

    op.drop_table("edition_schedules")
