"""slack installations: the workspaces that installed the app through OAuth, each tied to a pôle,
and the workspace of each Slack account and channel the bot heard from

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_installations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("team_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("pole_id", sa.Integer(), nullable=False),
        sa.Column("bot_token", sa.String(length=255), nullable=False),
        sa.Column("bot_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("bot_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("bot_scopes", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("installed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pole_id"], ["poles.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id"),
    )
    with op.batch_alter_table("slack_installations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slack_installations_pole_id"), ["pole_id"], unique=False
        )
    op.create_table(
        "slack_chats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["slack_installations.team_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id"),
    )
    with op.batch_alter_table("slack_chats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slack_chats_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_slack_chats_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("slack_chats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_chats_user_id"))
        batch_op.drop_index(batch_op.f("ix_slack_chats_team_id"))
    op.drop_table("slack_chats")
    with op.batch_alter_table("slack_installations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_installations_pole_id"))
    op.drop_table("slack_installations")
