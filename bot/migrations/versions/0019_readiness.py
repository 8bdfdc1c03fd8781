"""label readiness checks and client surveys: each member's last result per label, and the
member owning a client survey project

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "readiness_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("label_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("completed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "label_id"),
    )
    with op.batch_alter_table("readiness_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_readiness_results_person_id"), ["person_id"], unique=False
        )
    with op.batch_alter_table("survey_projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_survey_projects_owner_id"), ["owner_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_survey_projects_owner_id_people", "people", ["owner_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_projects", schema=None) as batch_op:
        batch_op.drop_constraint("fk_survey_projects_owner_id_people", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_survey_projects_owner_id"))
        batch_op.drop_column("owner_id")
    with op.batch_alter_table("readiness_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_readiness_results_person_id"))
    op.drop_table("readiness_results")
