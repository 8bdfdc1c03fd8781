"""club meetings become events (a club's or the pôle's), with date polls, attendance, calendar
feeds, e-mail addresses, reminder days, hosting wishes and once-only campaigns

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STRING = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def _index(table: str, *columns: str, unique: bool = False) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=unique)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pole_id", sa.Integer(), nullable=False),
        sa.Column("club_id", sa.Integer(), nullable=True),
        sa.Column("kind", _STRING(length=24), nullable=False),
        sa.Column("uid", _STRING(length=80), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status", _STRING(length=12), nullable=False),
        sa.Column("title", _STRING(length=200), nullable=False),
        sa.Column("host_company", _STRING(length=150), nullable=False),
        sa.Column("practice", _STRING(length=300), nullable=False),
        sa.Column("place", _STRING(length=300), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("starts_at", _TIME(), nullable=True),
        sa.Column("ends_at", _TIME(), nullable=True),
        sa.Column("dated_at", _TIME(), nullable=True),
        sa.Column("poll_deadline", _TIME(), nullable=True),
        sa.Column("poll_closed_at", _TIME(), nullable=True),
        sa.Column("attendance_at", _TIME(), nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["club_id"], ["clubs.id"]),
        sa.ForeignKeyConstraint(["pole_id"], ["poles.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    _index("events", "club_id", "pole_id", "starts_at")
    op.create_table(
        "event_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("answer", _STRING(length=8), nullable=True),
        sa.Column("waiting", sa.Boolean(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.Column("updated_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "person_id"),
    )
    _index("event_answers", "event_id", "person_id")
    # The meetings and answers so far, as they were.
    op.execute(
        "INSERT INTO events (id, pole_id, club_id, kind, uid, sequence, status, title,"
        " host_company, practice, place, agenda, capacity, starts_at, ends_at, dated_at,"
        " created_at)"
        " SELECT m.id, c.pole_id, m.club_id, 'club_meeting', m.uid, m.sequence,"
        " CASE WHEN m.cancelled THEN 'cancelled' ELSE 'scheduled' END, m.theme,"
        " m.host_company, m.practice, m.place, m.agenda, m.capacity, m.starts_at, m.ends_at,"
        " m.created_at, m.created_at FROM meetings m JOIN clubs c ON c.id = m.club_id"
    )
    op.execute(
        "INSERT INTO event_answers (id, event_id, person_id, answer, waiting, updated_at)"
        " SELECT id, meeting_id, person_id, answer, waiting, updated_at FROM meeting_answers"
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in ("events", "event_answers"):
            op.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
    for table, columns in (
        ("meeting_answers", ("meeting_id", "person_id")),
        ("meetings", ("club_id",)),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
        op.drop_table(table)

    op.create_table(
        "poll_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "starts_at"),
    )
    _index("poll_slots", "event_id")
    op.create_table(
        "poll_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("choice", _STRING(length=10), nullable=False),
        sa.Column("updated_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["slot_id"], ["poll_slots.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slot_id", "person_id"),
    )
    _index("poll_votes", "slot_id", "person_id")
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("token", _STRING(length=64), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id"),
        sa.UniqueConstraint("token"),
    )
    op.add_column("people", sa.Column("email", _STRING(length=254), nullable=True))
    # The default stays in the database: SQLite cannot drop it without copying the table.
    op.add_column(
        "clubs", sa.Column("reminder_days", sa.JSON(), nullable=False, server_default="[7, 1]")
    )
    op.add_column("club_members", sa.Column("hosting", sa.Boolean(), nullable=True))
    op.add_column("campaigns", sa.Column("dedupe_key", _STRING(length=120), nullable=True))
    _index("campaigns", "dedupe_key", unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_campaigns_dedupe_key"), table_name="campaigns")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch would copy and drop tables that
    # other tables' foreign keys point to.
    for table, column in (
        ("campaigns", "dedupe_key"),
        ("club_members", "hosting"),
        ("clubs", "reminder_days"),
        ("people", "email"),
    ):
        op.drop_column(table, column)
    op.drop_table("calendar_feeds")
    for table, columns in (
        ("poll_votes", ("slot_id", "person_id")),
        ("poll_slots", ("event_id",)),
        ("event_answers", ("event_id", "person_id")),
        ("events", ("club_id", "pole_id", "starts_at")),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
        op.drop_table(table)
    # Meetings are not brought back: 0012's tables are recreated empty.
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("club_id", sa.Integer(), nullable=False),
        sa.Column("uid", _STRING(length=80), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("theme", _STRING(length=200), nullable=False),
        sa.Column("host_company", _STRING(length=150), nullable=False),
        sa.Column("practice", _STRING(length=300), nullable=False),
        sa.Column("place", _STRING(length=300), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("starts_at", _TIME(), nullable=False),
        sa.Column("ends_at", _TIME(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["club_id"], ["clubs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    _index("meetings", "club_id")
    op.create_table(
        "meeting_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("answer", _STRING(length=8), nullable=False),
        sa.Column("waiting", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "person_id"),
    )
    _index("meeting_answers", "meeting_id", "person_id")
