"""Which rows of every table are about a person: what /mesdonnees exports, /oublier erases and
/lier merges, complete by construction.

Rows are found from the schema itself rather than from a list kept by hand: a row is the
person's when it is their ``people`` row, when one of its foreign keys points at a row already
found (their accounts, memberships, diagnostics, the actions of those diagnostics, campaigns
about them and the outbox rows of those…), or when it is keyed by one of their platform
accounts (``ACCOUNT_KEYS``, ``ONE_PLATFORM_ACCOUNT_KEYS``). So a table added later with a
foreign key to ``people`` is exported, erased and merged without touching this file. The only
other exception is a column naming the author of something other people received or that
belongs to an organisation (``AUTHOR_COLUMNS``: a broadcast, a partner's survey response): on
erasure the row stays and loses the name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, and_, delete, false, or_, select, update
from sqlmodel import SQLModel

from bot.storage import search
from bot.storage.models import Identity, Person, Pole
from bot.storage.session import Session

# Tables keyed by a platform account rather than a person: (platform column, account column).
# The outbox keys a direct message by the account it goes to.
ACCOUNT_KEYS: Mapping[str, tuple[str, str]] = {
    "conversation_states": ("platform", "platform_user_id"),
    "outbox": ("platform", "chat_id"),
}
# Tables of one platform's accounts, keyed by the account alone: (platform, account column).
# The workspace of a Slack account, or of its direct-message channel, names that account.
ONE_PLATFORM_ACCOUNT_KEYS: Mapping[str, tuple[str, str]] = {
    "slack_chats": ("slack", "user_id"),
}
# Authors of what others received (a broadcast): erasure empties the column, the row stays.
# A partner's survey response is the organisation's, a topic, minutes and a referral the club's,
# a document added to /ressources the pôle's: they stay, without who submitted, proposed, wrote,
# made or added them.
AUTHOR_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    {
        ("campaigns", "author_id"),
        ("survey_responses", "submitted_by"),
        ("club_topics", "author_id"),
        ("club_minutes", "written_by"),
        ("consultant_referrals", "referred_by"),
        ("resource_files", "added_by"),
    }
)
# Names of the export's sections, for the person reading the file; other tables keep theirs.
EXPORT_NAMES: Mapping[str, str] = {
    "people": "personne",
    "identities": "comptes",
    "link_codes": "codes_de_liaison",
    "memberships": "adhesions",
    "conversation_states": "conversations",
    "campaigns": "messages_ecrits_ou_a_votre_sujet",
    "outbox": "messages_recus",
    "uploads": "fichiers_envoyes",
    "resource_files": "documents_ajoutes_aux_ressources",
    "diagnostics": "diagnostics",
    "planned_actions": "plan_d_actions",
    "digest_subscriptions": "abonnements_veille",
    "survey_respondents": "enquetes_repondant_pour",
    "survey_responses": "enquetes_reponses_envoyees",
    "survey_drafts": "enquetes_en_cours",
    "module_progress": "modules_rse_suivis",
    "readiness_results": "preparation_aux_labels",
    "programme_enrolments": "programmes_suivis",
    "programme_step_records": "programmes_labels_vises_et_bilans",
    "slack_chats": "espaces_de_travail_slack",
}


def _unaccepted_requester(row: Mapping[str, Any], person_id: int) -> set[str]:
    """An introduction request not accepted keeps its requester from its recipient: neither
    who asked nor their contact is theirs to read, in the export as in the chat."""
    if row["recipient_id"] == person_id and row["status"] != "accepted":
        return {"requester_id", "requester_contact"}
    return set()


def _someone_else(column: str, *also: str) -> Callable[[Mapping[str, Any], int], set[str]]:
    """A row of someone else reached through what the person owns (a member's client survey
    reaches its clients' responses): who it is, and what they answered, stay out."""

    def hidden(row: Mapping[str, Any], person_id: int) -> set[str]:
        return {column, *also} if row[column] != person_id else set()

    return hidden


# Columns of a person's rows that their export leaves out, by table: what someone else wrote
# that the person may not learn yet, or may only read as the anonymity rule allows.
HIDDEN: Mapping[str, Callable[[Mapping[str, Any], int], set[str]]] = {
    "introductions": _unaccepted_requester,
    "survey_respondents": _someone_else("person_id"),
    "survey_drafts": _someone_else("person_id"),
    "survey_responses": _someone_else("submitted_by", "answers", "comments"),
}


@dataclass
class _Found:
    """The person's rows of one table: those that go with them, and those they only wrote."""

    table: Table
    theirs: ColumnElement[bool] | None = None
    authored: dict[str, ColumnElement[bool]] = field(default_factory=dict)

    @property
    def everything(self) -> ColumnElement[bool]:
        parts = [self.theirs] if self.theirs is not None else []
        return or_(false(), *parts, *self.authored.values())


def _tables() -> list[Table]:
    """Every table of the schema, parents before children."""
    return list(SQLModel.metadata.sorted_tables)


def person_columns() -> list[Column[Any]]:
    """Every column pointing at a person (``people.id``), in every table."""
    people = Person.__table__  # type: ignore[attr-defined]
    return [
        foreign_key.parent
        for table in _tables()
        for foreign_key in table.foreign_keys
        if foreign_key.column.table is people
    ]


async def _find(session: Session, *, person: Person) -> list[_Found]:
    assert person.id is not None
    mine = select(Identity).where(Identity.person_id == person.id)
    identities = list(await session.scalars(mine))
    found: list[_Found] = []
    ids: dict[str, set[Any]] = {}
    for table in _tables():
        entry = _Found(table)
        conditions: list[ColumnElement[bool]] = []
        if table.name == Person.__tablename__:
            conditions.append(table.c.id == person.id)
        for foreign_key in table.foreign_keys:
            column, parent = foreign_key.parent, foreign_key.column.table.name
            if not ids.get(parent):
                continue
            if (table.name, column.name) in AUTHOR_COLUMNS:
                entry.authored[column.name] = column.in_(ids[parent])
            else:
                conditions.append(column.in_(ids[parent]))
        if table.name in ACCOUNT_KEYS and identities:
            platform, account = (table.c[name] for name in ACCOUNT_KEYS[table.name])
            conditions += [
                and_(platform == i.platform, account == i.platform_user_id) for i in identities
            ]
        if table.name in ONE_PLATFORM_ACCOUNT_KEYS:
            platform_name, account_name = ONE_PLATFORM_ACCOUNT_KEYS[table.name]
            conditions += [
                table.c[account_name] == i.platform_user_id
                for i in identities
                if i.platform == platform_name
            ]
        if conditions:
            entry.theirs = or_(*conditions)
            ids[table.name] = set(await session.scalars(select(table.c.id).where(entry.theirs)))
        if entry.theirs is not None or entry.authored:
            found.append(entry)
    return found


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        # The file itself is not repeated: its name and size are in the same row.
        return f"{len(value)} octets"
    return value


async def export(session: Session, *, person: Person) -> dict[str, Any]:
    """Every row about ``person`` or written by them, table by table, as JSON-ready data; the
    pôles they point at are named, and their own profile is one object."""
    poles = {pole_id: name for pole_id, name in await session.execute(select(Pole.id, Pole.name))}
    exported: dict[str, Any] = {}
    for entry in await _find(session, person=person):
        table = entry.table
        to_pole = [
            key.parent.name for key in table.foreign_keys if key.column.table.name == "poles"
        ]
        rows = []
        for row in await session.execute(
            select(table).where(entry.everything).order_by(table.c.id)
        ):
            values = {name: _plain(value) for name, value in row._mapping.items()}
            hidden = HIDDEN.get(table.name)
            for name in hidden(values, person.id) if hidden and person.id else ():
                del values[name]
            for name in to_pole:
                values[name.removesuffix("_id")] = poles.get(values[name])
            rows.append(values)
        exported[EXPORT_NAMES.get(table.name, table.name)] = rows
    exported[EXPORT_NAMES["people"]] = exported[EXPORT_NAMES["people"]][0]
    return exported


async def erase(session: Session, *, person: Person) -> None:
    """Delete every row about ``person``; what they wrote for others stays, without their name."""
    found = await _find(session, person=person)
    for entry in found:
        for name, where in entry.authored.items():
            await session.execute(update(entry.table).where(where).values({name: None}))
    # Children before their parents, for the foreign keys.
    for entry in reversed(found):
        if entry.theirs is not None:
            await session.execute(delete(entry.table).where(entry.theirs))
    await session.flush()
    # A competence they declared, an offer they made: the search index keeps no word of them.
    await search.forget_deleted(session)
