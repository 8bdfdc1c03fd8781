"""programmes: a pôle's runs of a programme, members' enrolments and the steps only a programme
records (the label aimed at, the closing review)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programme_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pole_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pole_id"], ["poles.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pole_id", "programme_id", "starts_on"),
    )
    with op.batch_alter_table("programme_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_runs_pole_id"), ["pole_id"], unique=False)
    op.create_table(
        "programme_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("enrolled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["programme_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "person_id"),
    )
    with op.batch_alter_table("programme_enrolments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_enrolments_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_programme_enrolments_run_id"), ["run_id"], unique=False
        )
    op.create_table(
        "programme_step_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("label_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["enrolment_id"], ["programme_enrolments.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enrolment_id", "step_id"),
    )
    with op.batch_alter_table("programme_step_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_step_records_enrolment_id"), ["enrolment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("programme_step_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_step_records_enrolment_id"))
    op.drop_table("programme_step_records")
    with op.batch_alter_table("programme_enrolments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_enrolments_run_id"))
        batch_op.drop_index(batch_op.f("ix_programme_enrolments_person_id"))
    op.drop_table("programme_enrolments")
    with op.batch_alter_table("programme_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_runs_pole_id"))
    op.drop_table("programme_runs")
