"""the partner indicator survey: projects, partner organisations and their respondents, waves,
each partner's response and the drafts its respondents are filling in

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STRING = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime
# Each table's indexed columns, parents first.
_INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("survey_projects", ("pole_id",)),
    ("survey_partners", ("project_id",)),
    ("survey_respondents", ("partner_id", "person_id")),
    ("survey_waves", ("closes_at", "project_id")),
    ("survey_responses", ("partner_id", "submitted_by", "wave_id")),
    ("survey_drafts", ("partner_id", "person_id", "wave_id")),
)


def upgrade() -> None:
    op.create_table(
        "survey_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pole_id", sa.Integer(), nullable=False),
        sa.Column("name", _STRING(length=120), nullable=False),
        sa.Column("survey", _STRING(length=40), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("wave_dates", sa.JSON(), nullable=False),
        sa.Column("wave_time", _STRING(length=5), nullable=False),
        sa.Column("wave_days", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["pole_id"], ["poles.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pole_id", "name"),
    )
    op.create_table(
        "survey_partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", _STRING(length=150), nullable=False),
        sa.Column("code", _STRING(length=16), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["survey_projects.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("project_id", "name"),
    )
    op.create_table(
        "survey_respondents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["survey_partners.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partner_id", "person_id"),
    )
    op.create_table(
        "survey_waves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("opened_at", _TIME(), nullable=False),
        sa.Column("closes_at", _TIME(), nullable=False),
        sa.Column("closed_at", _TIME(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("invited", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["survey_projects.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "number"),
        sa.UniqueConstraint("project_id", "opened_at"),
    )
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("submitted_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["survey_partners.id"]),
        sa.ForeignKeyConstraint(["submitted_by"], ["people.id"]),
        sa.ForeignKeyConstraint(["wave_id"], ["survey_waves.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wave_id", "partner_id"),
    )
    op.create_table(
        "survey_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["survey_partners.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["wave_id"], ["survey_waves.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wave_id", "person_id"),
    )
    for table, columns in _INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def downgrade() -> None:
    for table, columns in reversed(_INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
        op.drop_table(table)
