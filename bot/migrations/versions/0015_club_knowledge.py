"""what a club learns: topics and their votes, minutes, the directory of competencies and its
contacts, the service exchange, introductions, consultants and referrals, the café RSE; the
full-text search of the directory and the exchange (FTS5 on SQLite, tsvector on PostgreSQL)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STRING = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime
_ID = sa.Integer()
# Each table's indexed columns, parents first (the tables are created in this order).
_INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("club_topics", ("author_id", "club_id", "event_id")),
    ("club_topic_votes", ("person_id", "topic_id")),
    ("club_minutes", ("written_by",)),
    ("directory_entries", ("club_id", "event_id", "member_id")),
    ("directory_contacts", ("entry_id", "person_id")),
    ("exchange_posts", ("club_id", "created_at", "person_id")),
    ("introductions", ("club_id", "entry_id", "post_id", "recipient_id", "requester_id")),
    ("consultants", ("pole_id",)),
    ("consultant_referrals", ("consultant_id", "person_id", "post_id", "referred_by")),
    ("cafe_members", ("club_id", "person_id")),
    ("cafe_pairs", ("club_id", "first_id", "second_id")),
)
# The search tables (bot/storage/search.py): their source table and columns, weighed in order.
_SEARCHED = (
    ("directory_search", "directory_entries", ("subject", "keywords", "shared")),
    ("exchange_search", "exchange_posts", ("text",)),
)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "club_topics",
        _id(),
        sa.Column("club_id", _ID, nullable=False),
        sa.Column("author_id", _ID, nullable=True),
        sa.Column("text", _STRING(length=500), nullable=False),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("event_id", _ID, nullable=True),
        sa.Column("treated_at", _TIME(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["club_id"], ["clubs.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "club_topic_votes",
        _id(),
        sa.Column("topic_id", _ID, nullable=False),
        sa.Column("person_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["topic_id"], ["club_topics.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("topic_id", "person_id"),
    )
    op.create_table(
        "club_minutes",
        _id(),
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("practices", sa.Text(), nullable=False),
        sa.Column("written_by", _ID, nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"]),
        sa.ForeignKeyConstraint(["written_by"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_table(
        "directory_entries",
        _id(),
        sa.Column("club_id", _ID, nullable=False),
        sa.Column("event_id", _ID, nullable=True),
        sa.Column("member_id", _ID, nullable=True),
        sa.Column("subject", _STRING(length=200), nullable=False),
        sa.Column("shared", sa.Text(), nullable=False),
        sa.Column("keywords", _STRING(length=300), nullable=False),
        sa.Column("link", _STRING(length=500), nullable=True),
        sa.Column("file_name", _STRING(length=200), nullable=True),
        sa.Column("file_type", _STRING(length=100), nullable=True),
        sa.Column("file_data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["club_id"], ["clubs.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "directory_contacts",
        _id(),
        sa.Column("entry_id", _ID, nullable=False),
        sa.Column("person_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["directory_entries.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "person_id"),
    )
    op.create_table(
        "exchange_posts",
        _id(),
        sa.Column("club_id", _ID, nullable=False),
        sa.Column("person_id", _ID, nullable=False),
        sa.Column("kind", _STRING(length=8), nullable=False),
        sa.Column("text", _STRING(length=500), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("closed_at", _TIME(), nullable=True),
        sa.Column("escalated_at", _TIME(), nullable=True),
        sa.ForeignKeyConstraint(["club_id"], ["clubs.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "introductions",
        _id(),
        sa.Column("club_id", _ID, nullable=False),
        sa.Column("requester_id", _ID, nullable=False),
        sa.Column("recipient_id", _ID, nullable=False),
        sa.Column("reason", _STRING(length=500), nullable=False),
        sa.Column("requester_contact", _STRING(length=200), nullable=False),
        sa.Column("recipient_contact", _STRING(length=200), nullable=True),
        sa.Column("status", _STRING(length=10), nullable=False),
        sa.Column("entry_id", _ID, nullable=True),
        sa.Column("post_id", _ID, nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("answered_at", _TIME(), nullable=True),
        sa.ForeignKeyConstraint(["club_id"], ["clubs.id"]),
        sa.ForeignKeyConstraint(["entry_id"], ["directory_entries.id"]),
        sa.ForeignKeyConstraint(["post_id"], ["exchange_posts.id"]),
        sa.ForeignKeyConstraint(["recipient_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["requester_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "consultants",
        _id(),
        sa.Column("pole_id", _ID, nullable=False),
        sa.Column("name", _STRING(length=150), nullable=False),
        sa.Column("specialities", _STRING(length=300), nullable=False),
        sa.Column("contact", _STRING(length=200), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["pole_id"], ["poles.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "consultant_referrals",
        _id(),
        sa.Column("consultant_id", _ID, nullable=False),
        sa.Column("person_id", _ID, nullable=False),
        sa.Column("post_id", _ID, nullable=True),
        sa.Column("referred_by", _ID, nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["consultant_id"], ["consultants.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["post_id"], ["exchange_posts.id"]),
        sa.ForeignKeyConstraint(["referred_by"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "cafe_members",
        _id(),
        sa.Column("club_id", _ID, nullable=False),
        sa.Column("person_id", _ID, nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["club_id"], ["clubs.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("club_id", "person_id"),
    )
    op.create_table(
        "cafe_pairs",
        _id(),
        sa.Column("club_id", _ID, nullable=False),
        sa.Column("month", _STRING(length=7), nullable=False),
        sa.Column("first_id", _ID, nullable=False),
        sa.Column("second_id", _ID, nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["club_id"], ["clubs.id"]),
        sa.ForeignKeyConstraint(["first_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["second_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("club_id", "month", "first_id"),
    )
    for table, columns in _INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_search()
    else:
        _sqlite_search()


def _sqlite_search() -> None:
    """FTS5 tables over their source (external content), folding accents, kept by triggers."""
    for name, source, columns in _SEARCHED:
        listed = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        forget = f"INSERT INTO {name}({name}, rowid, {listed}) VALUES ('delete', old.id, {old});"
        add = f"INSERT INTO {name}(rowid, {listed}) VALUES (new.id, {new});"
        op.execute(
            f"CREATE VIRTUAL TABLE {name} USING fts5({listed}, content='{source}',"
            " content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(f"CREATE TRIGGER {name}_insert AFTER INSERT ON {source} BEGIN {add} END")
        op.execute(f"CREATE TRIGGER {name}_delete AFTER DELETE ON {source} BEGIN {forget} END")
        op.execute(
            f"CREATE TRIGGER {name}_update AFTER UPDATE ON {source} BEGIN {forget} {add} END"
        )


def _postgresql_search() -> None:
    """A table of tsvector per source, French stems without accents, kept by a trigger."""
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE TEXT SEARCH CONFIGURATION rsebot_french (COPY = french)")
    op.execute(
        "ALTER TEXT SEARCH CONFIGURATION rsebot_french"
        " ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem"
    )
    for name, source, columns in _SEARCHED:
        document = " || ".join(
            f"setweight(to_tsvector('rsebot_french', coalesce(NEW.{column}, '')), '{weight}')"
            for column, weight in zip(columns, "ABC", strict=False)
        )
        op.execute(
            f"CREATE TABLE {name} (source_id integer PRIMARY KEY"
            f" REFERENCES {source}(id) ON DELETE CASCADE, document tsvector NOT NULL)"
        )
        op.execute(f"CREATE INDEX ix_{name}_document ON {name} USING gin (document)")
        op.execute(
            f"CREATE FUNCTION {name}_refresh() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            f" INSERT INTO {name} (source_id, document) VALUES (NEW.id, {document})"
            " ON CONFLICT (source_id) DO UPDATE SET document = EXCLUDED.document;"
            " RETURN NEW; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name}_refresh AFTER INSERT OR UPDATE ON {source}"
            f" FOR EACH ROW EXECUTE FUNCTION {name}_refresh()"
        )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, source, _ in _SEARCHED:
        op.execute(f"DROP TABLE {name}")
        if postgresql:
            op.execute(f"DROP TRIGGER {name}_refresh ON {source}")
            op.execute(f"DROP FUNCTION {name}_refresh")
    if postgresql:
        op.execute("DROP TEXT SEARCH CONFIGURATION rsebot_french")
    for table, columns in reversed(_INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
        op.drop_table(table)
