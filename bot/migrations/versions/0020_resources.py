"""resources: the documents a pôle's animators add to /ressources

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "resource_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pole_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("mime_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["added_by"], ["people.id"]),
        sa.ForeignKeyConstraint(["pole_id"], ["poles.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("resource_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_files_added_by"), ["added_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_files_pole_id"), ["pole_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("resource_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_files_pole_id"))
        batch_op.drop_index(batch_op.f("ix_resource_files_added_by"))
    op.drop_table("resource_files")
