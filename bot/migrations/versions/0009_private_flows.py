"""conversation state per chat and flow pôle; campaign subject

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The unique constraint of 0001 has no name: SQLite's batch mode names it through this.
_NAMING = {
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
}
_OLD_UNIQUE = {
    "postgresql": "conversation_states_platform_platform_user_id_key",
    "sqlite": "uq_conversation_states_platform_platform_user_id",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("conversation_states", naming_convention=_NAMING) as batch_op:
        # States stored before were all in the private conversation.
        batch_op.add_column(
            sa.Column(
                "chat_scope",
                sqlmodel.sql.sqltypes.AutoString(length=128),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("pole_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_conversation_states_pole_id", "poles", ["pole_id"], ["id"])
        batch_op.drop_constraint(_OLD_UNIQUE[dialect], type_="unique")
        batch_op.create_unique_constraint(
            "uq_conversation_states_account_chat", ["platform", "platform_user_id", "chat_scope"]
        )
    with op.batch_alter_table("campaigns", naming_convention=_NAMING) as batch_op:
        batch_op.add_column(sa.Column("subject_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_campaigns_subject_id", "people", ["subject_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_campaigns_subject_id"), ["subject_id"], unique=False)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("campaigns", naming_convention=_NAMING) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_subject_id"))
        batch_op.drop_constraint("fk_campaigns_subject_id", type_="foreignkey")
        batch_op.drop_column("subject_id")
    # Group conversations had no place before: their states go.
    op.execute(sa.text("DELETE FROM conversation_states WHERE chat_scope <> ''"))
    with op.batch_alter_table("conversation_states", naming_convention=_NAMING) as batch_op:
        batch_op.drop_constraint("uq_conversation_states_account_chat", type_="unique")
        batch_op.create_unique_constraint(_OLD_UNIQUE[dialect], ["platform", "platform_user_id"])
        batch_op.drop_constraint("fk_conversation_states_pole_id", type_="foreignkey")
        batch_op.drop_column("pole_id")
        batch_op.drop_column("chat_scope")
