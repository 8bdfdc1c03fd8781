"""Database tables. Times are aware UTC datetimes (SQLModel stores them as UTC everywhere)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Pole(SQLModel, table=True):
    """A cluster ("pôle") hosting members; the data of one pôle is never shown in another."""

    __tablename__ = "poles"
    __table_args__ = (
        Index(
            "uq_poles_single_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    invite_code: str = Field(max_length=16, unique=True)
    is_default: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)


class Person(SQLModel, table=True):
    """Someone who consented to the bot keeping what they told it."""

    __tablename__ = "people"

    id: int | None = Field(default=None, primary_key=True)
    display_name: str | None = Field(default=None, max_length=100)
    company: str | None = Field(default=None, max_length=150)
    sector: str | None = Field(default=None, max_length=40)
    locale: str | None = Field(default=None, max_length=5)
    active_pole_id: int | None = Field(default=None, foreign_key="poles.id")
    consent_at: datetime | None = None
    # Given in the profile, optional: calendar invitations then also come by e-mail, which
    # calendar apps update in place (a file in a chat is only imported).
    email: str | None = Field(default=None, max_length=254)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})


class Identity(SQLModel, table=True):
    """One account of a person on one platform."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    platform: str = Field(max_length=16)
    platform_user_id: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
    # Set when the platform refuses our messages (blocked bot, deleted account), so that
    # broadcasts skip the account; cleared as soon as the person writes to the bot again.
    unreachable_at: datetime | None = None
    unreachable_reason: str | None = Field(default=None, max_length=200)


class LinkCode(SQLModel, table=True):
    """A short-lived one-time code that makes another account an identity of ``person_id``."""

    __tablename__ = "link_codes"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    expires_at: datetime
    created_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("person_id", "pole_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    role: str = Field(default="member", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


PRIVATE_CHAT = ""


class ConversationState(SQLModel, table=True):
    """Where an account stands in a multi-step conversation, in one chat, with the answers
    given so far.

    Keyed by platform account rather than person so that it exists before consent, and so
    that a person chatting on two platforms can be in two different flows; and by chat, so that
    a flow begun in private never speaks in a group (``chat_scope`` is ``PRIVATE_CHAT`` for the
    private conversation, the group's chat id otherwise).
    """

    __tablename__ = "conversation_states"
    __table_args__ = (
        UniqueConstraint(
            "platform", "platform_user_id", "chat_scope", name="uq_conversation_states_account_chat"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    platform_user_id: str = Field(max_length=128)
    chat_scope: str = Field(default=PRIVATE_CHAT, max_length=128)
    # The pôle a flow was begun in: its steps act there or not at all.
    pole_id: int | None = Field(default=None, foreign_key="poles.id")
    locale: str | None = Field(default=None, max_length=5)
    flow: str | None = Field(default=None, max_length=40)
    step: str | None = Field(default=None, max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class Campaign(SQLModel, table=True):
    """Something the bot says first to many people at once: a broadcast, a digest, a reminder
    wave. Its content is stored once; the outbox holds one row per recipient."""

    __tablename__ = "campaigns"

    id: int | None = Field(default=None, primary_key=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    kind: str = Field(max_length=24)
    author_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    # The person a campaign is about (a follow-up naming their actions): erased with them.
    subject_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    # How the recipients were chosen, e.g. "all" or "all:telegram", for reports.
    audience: str = Field(max_length=80)
    text: str = Field(sa_column=Column(Text, nullable=False))
    attachment_name: str | None = Field(default=None, max_length=200)
    attachment_type: str | None = Field(default=None, max_length=100)
    attachment_data: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    # [label, value] pairs shown under the message, e.g. the answers to a follow-up question.
    buttons: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Set for a message that must go out once however many times it is decided (a meeting's
    # D-7 reminder, decided again after a restart or by another instance): a second campaign
    # with the same key is not queued.
    dedupe_key: str | None = Field(default=None, max_length=120, index=True, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


OUTBOX_STATUSES: tuple[str, ...] = ("pending", "sending", "sent", "failed", "unreachable")


class OutboxMessage(SQLModel, table=True):
    """One campaign's message to one account, from queued to delivered (or given up on).

    The unique key makes queuing the same campaign twice for someone impossible.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("campaign_id", "platform", "chat_id"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=128)
    status: str = Field(default="pending", max_length=12)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=300)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    # Refreshed while a worker holds the row; an old one means the worker died.
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


# Where a flow's answers (ConversationState.data) hold the id of the upload their draft uses,
# so that the purge leaves it alone.
DRAFT_UPLOAD = "attachment_id"


class Upload(SQLModel, table=True):
    """A file someone sent in a conversation, kept until the step that asked for it is used
    (a broadcast's attachment); the nightly purge deletes what no open draft holds."""

    __tablename__ = "uploads"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    filename: str = Field(max_length=200)
    mime_type: str = Field(max_length=100)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Diagnostic(SQLModel, table=True):
    """A completed self-diagnostic of a member's company: answers, scores and level, kept for
    the member's history and, without names, for their pôle's synthesis."""

    __tablename__ = "diagnostics"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    # As it was when answered: people change company or sector.
    company: str | None = Field(default=None, max_length=150)
    sector: str | None = Field(default=None, max_length=40)
    questionnaire: str = Field(max_length=40)
    version: str = Field(max_length=8)
    # Question id -> the scale choice, or "?" for "je ne sais pas".
    answers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    comments: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Percentages of the points possible on the questions answered (not "je ne sais pas").
    score: float
    level: str = Field(max_length=24)
    section_scores: dict[str, float] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    completed_at: datetime = Field(default_factory=utcnow)


ACTION_STATUSES: tuple[str, ...] = ("not_started", "in_progress", "done")


class PlannedAction(SQLModel, table=True):
    """A recommended action a member chose after a diagnostic, with a target date; followed up
    every month until done."""

    __tablename__ = "planned_actions"
    __table_args__ = (UniqueConstraint("diagnostic_id", "action_id"),)

    id: int | None = Field(default=None, primary_key=True)
    diagnostic_id: int = Field(foreign_key="diagnostics.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    section: str = Field(max_length=40)
    action_id: str = Field(max_length=60)
    due_on: date
    status: str = Field(default="not_started", max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Feed(SQLModel, table=True):
    """An RSS or Atom feed a pôle watches, with what its last fetches said."""

    __tablename__ = "feeds"
    __table_args__ = (UniqueConstraint("pole_id", "url"),)

    id: int | None = Field(default=None, primary_key=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    url: str = Field(max_length=500)
    title: str | None = Field(default=None, max_length=200)
    # Given by the animator: every item of the feed carries it, besides the keyword themes.
    theme: str | None = Field(default=None, max_length=40)
    etag: str | None = Field(default=None, max_length=200)
    last_modified: str | None = Field(default=None, max_length=100)
    last_ok_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=300)
    failures: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class FeedItem(SQLModel, table=True):
    """An article seen in a pôle's feeds, once: by its canonical address and by its title."""

    __tablename__ = "feed_items"
    __table_args__ = (
        UniqueConstraint("pole_id", "canonical_url"),
        Index("ix_feed_items_title_key", "pole_id", "title_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    canonical_url: str = Field(max_length=1000)
    url: str = Field(max_length=1000)
    title: str = Field(max_length=500)
    title_key: str = Field(max_length=500)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    source: str = Field(max_length=200)
    themes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    published_at: datetime | None = None
    first_seen_at: datetime = Field(default_factory=utcnow, index=True)


class Edition(SQLModel, table=True):
    """A digest of a pôle (weekly note or newsletter) and the items it carried: an item goes
    into one edition of each kind at most."""

    __tablename__ = "editions"

    id: int | None = Field(default=None, primary_key=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    kind: str = Field(max_length=16)
    item_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class EditionSchedule(SQLModel, table=True):
    """A pôle's calendar for one edition kind, when it differs from content/veille/editions.yaml,
    and how far the scheduler has dealt with it."""

    __tablename__ = "edition_schedules"
    __table_args__ = (UniqueConstraint("pole_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    kind: str = Field(max_length=16)
    # Canonical form of bot.schedules ("mon 08:30", "1,15 09:00"); None: the default.
    schedule: str | None = Field(default=None, max_length=100)
    active: bool = Field(default=True)
    # The times the calendar named up to here are done (sent, empty, or before a change).
    handled_until: datetime | None = None
    # Failed attempts since the last edition that went out, and when the next may be made.
    failures: int = Field(default=0)
    retry_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class DigestSubscription(SQLModel, table=True):
    """Who receives a pôle's digests: a member (``person_id``) with the themes they chose, or a
    group or channel an animator subscribed (every theme)."""

    __tablename__ = "digest_subscriptions"
    __table_args__ = (UniqueConstraint("pole_id", "platform", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=128)
    # Empty: every theme.
    themes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Club(SQLModel, table=True):
    """A club of a pôle (the Club BouRSE): its members meet, and what they share stays among
    them and the pôle's animators."""

    __tablename__ = "clubs"
    __table_args__ = (UniqueConstraint("pole_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    name: str = Field(max_length=80)
    # Given by the animators to the companies they want in; typed with /club rejoindre.
    code: str = Field(max_length=16, unique=True)
    meetings_per_year: int = Field(default=5)
    # Days before a meeting its reminders go out.
    reminder_days: list[int] = Field(
        default_factory=lambda: [7, 1], sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow)


class ClubCharter(SQLModel, table=True):
    """One version of a club's charter of values; members accept the latest one."""

    __tablename__ = "club_charters"
    __table_args__ = (UniqueConstraint("club_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="clubs.id", index=True)
    version: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


CLUB_STATUSES: tuple[str, ...] = ("invited", "member", "removed")


class ClubMember(SQLModel, table=True):
    """A person's place in a club: invited, member (having accepted a version of the charter),
    or removed by an animator, with the reason kept for the animators."""

    __tablename__ = "club_members"
    __table_args__ = (UniqueConstraint("club_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="clubs.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    status: str = Field(default="invited", max_length=12)
    charter_version: int | None = None
    accepted_at: datetime | None = None
    removal_reason: str | None = Field(default=None, max_length=300)
    # Whether the member's company would like to host a meeting (None: not said).
    hosting: bool | None = None
    created_at: datetime = Field(default_factory=utcnow)


EVENT_ANSWERS: tuple[str, ...] = ("yes", "maybe", "no")
# An event's date is being polled (no date yet), fixed, or called off.
EVENT_STATUSES: tuple[str, ...] = ("polling", "scheduled", "cancelled")


class Event(SQLModel, table=True):
    """Something people are invited to: a club meeting at a member company today, the pôle's
    workshops and thematic days tomorrow. Its audience is a club's members (``club_id``) or,
    without a club, the pôle's. Its UID is kept from the date poll to the end and its sequence
    raised at every change, so that calendars update it instead of adding another."""

    __tablename__ = "events"

    id: int | None = Field(default=None, primary_key=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    club_id: int | None = Field(default=None, foreign_key="clubs.id", index=True)
    kind: str = Field(default="club_meeting", max_length=24)
    uid: str = Field(max_length=80, unique=True)
    sequence: int = Field(default=0)
    status: str = Field(default="scheduled", max_length=12)
    title: str = Field(max_length=200)
    # A club meeting's host and the good practice presented there; empty for other events.
    host_company: str = Field(default="", max_length=150)
    practice: str = Field(default="", max_length=300)
    place: str = Field(max_length=300)
    agenda: str = Field(default="", sa_column=Column(Text, nullable=False))
    capacity: int | None = None
    # None while the date is polled.
    starts_at: datetime | None = Field(default=None, index=True)
    ends_at: datetime | None = None
    # When the current date was set (planned, fixed by the poll, or moved): a reminder whose
    # time had already passed then is not sent.
    dated_at: datetime | None = None
    poll_deadline: datetime | None = None
    poll_closed_at: datetime | None = None
    # When the animator recorded who came.
    attendance_at: datetime | None = None
    # Without a club: for the people listed in event_guests only (those who asked for a
    # workshop), instead of the whole pôle.
    guests_only: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)


class EventAnswer(SQLModel, table=True):
    """A person's answer to an event's invitation (je viens, peut-être, je ne viens pas; None
    until they answer), beyond the capacity a « je viens » waiting in line, and afterwards
    whether they came."""

    __tablename__ = "event_answers"
    __table_args__ = (UniqueConstraint("event_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    answer: str | None = Field(default=None, max_length=8)
    waiting: bool = Field(default=False)
    attended: bool | None = None
    updated_at: datetime = Field(default_factory=utcnow)


# A member's availability for one slot of a date poll (handlers/events/poll.py).
POLL_CHOICES: tuple[str, ...] = ("yes", "if_needed", "no")


class PollSlot(SQLModel, table=True):
    """One date and time offered in an event's date poll."""

    __tablename__ = "poll_slots"
    __table_args__ = (UniqueConstraint("event_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", index=True)
    starts_at: datetime


class PollVote(SQLModel, table=True):
    """A person's availability for one slot, changeable until the poll closes."""

    __tablename__ = "poll_votes"
    __table_args__ = (UniqueConstraint("slot_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    slot_id: int = Field(foreign_key="poll_slots.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    choice: str = Field(max_length=10)
    updated_at: datetime = Field(default_factory=utcnow)


class CalendarFeed(SQLModel, table=True):
    """A person's private calendar subscription: the address RSEBOT_PUBLIC_URL/agenda/TOKEN
    lists their events; renewing the token revokes the old address."""

    __tablename__ = "calendar_feeds"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", unique=True)
    token: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class SurveyProject(SQLModel, table=True):
    """A collaborative project whose partner organisations answer an indicator set
    (``content/surveys/``) in waves, twice a year by default (issue 13, the HYDREOS model)."""

    __tablename__ = "survey_projects"
    __table_args__ = (UniqueConstraint("pole_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    name: str = Field(max_length=120)
    # The id of the indicator set, a file of content/surveys/.
    survey: str = Field(max_length=40)
    # Animators see who took part, never what a partner answered, unless set False before a
    # wave opens (each wave keeps the setting it opened with).
    anonymous: bool = Field(default=True)
    # Local dates ("MM-DD") and time ("HH:MM") at which the scheduled waves open; empty: only
    # waves opened by hand.
    wave_dates: list[str] = Field(
        default_factory=lambda: ["03-15", "09-15"], sa_column=Column(JSON, nullable=False)
    )
    wave_time: str = Field(default="09:00", max_length=5)
    wave_days: int = Field(default=21)
    created_at: datetime = Field(default_factory=utcnow)
    # A member's own survey of their clients (handlers/readiness/clients.py), not the pôle's:
    # its animators never see it, its results go to this member alone; None for the pôle's.
    owner_id: int | None = Field(default=None, foreign_key="people.id", index=True)


class SurveyPartner(SQLModel, table=True):
    """A partner organisation of a project (a company, a public body, a research institute),
    not necessarily a member of the pôle; it answers once per wave."""

    __tablename__ = "survey_partners"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="survey_projects.id", index=True)
    name: str = Field(max_length=150)
    # Given to the partner's respondents, who type it at /start or with /enquete CODE.
    code: str = Field(max_length=16, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class SurveyRespondent(SQLModel, table=True):
    """A person who answers for a partner organisation."""

    __tablename__ = "survey_respondents"
    __table_args__ = (UniqueConstraint("partner_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="survey_partners.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class SurveyWave(SQLModel, table=True):
    """One round of a project's survey: open from ``opened_at`` to ``closes_at``, then closed
    (``closed_at``), its answers locked."""

    __tablename__ = "survey_waves"
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        # A scheduled opening is decided by every instance's job: the first insert wins.
        UniqueConstraint("project_id", "opened_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="survey_projects.id", index=True)
    number: int
    opened_at: datetime
    closes_at: datetime = Field(index=True)
    closed_at: datetime | None = None
    # The project's setting when the wave opened: what its animators may see of each partner.
    anonymous: bool = Field(default=True)
    # Partners invited when it opened, for the participation rate.
    invited: int = Field(default=0)


class SurveyResponse(SQLModel, table=True):
    """A partner's answer to a wave: the last one submitted by any of its respondents before
    the close."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("wave_id", "partner_id"),)

    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="survey_waves.id", index=True)
    partner_id: int = Field(foreign_key="survey_partners.id", index=True)
    # Indicator id -> choice id of the set's scale; axis id -> comment.
    answers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    comments: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Who submitted it: emptied when they are erased, the partner's answer staying.
    submitted_by: int | None = Field(default=None, foreign_key="people.id", index=True)
    submitted_at: datetime = Field(default_factory=utcnow)


class SurveyDraft(SQLModel, table=True):
    """A respondent filling in their partner's response (the answers themselves are in their
    conversation state): what the partner's other respondents see, « commencée par … »."""

    __tablename__ = "survey_drafts"
    __table_args__ = (UniqueConstraint("wave_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="survey_waves.id", index=True)
    partner_id: int = Field(foreign_key="survey_partners.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    answered: int = Field(default=0)
    updated_at: datetime = Field(default_factory=utcnow)


class ClubTopic(SQLModel, table=True):
    """A topic or a problem a club member brings, named or anonymous. An anonymous topic has no
    author at all (not hidden: absent), and only its day, so that no time links it to anyone.
    Nobody is ever asked to follow it up."""

    __tablename__ = "club_topics"

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="clubs.id", index=True)
    # None for an anonymous topic; emptied when a named author is erased (the club keeps it).
    author_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    text: str = Field(max_length=500)
    proposed_on: date
    # The meeting whose agenda it is on, and when an animator marked it treated.
    event_id: int | None = Field(default=None, foreign_key="events.id", index=True)
    treated_at: datetime | None = None


class ClubTopicVote(SQLModel, table=True):
    """A member's support for a topic: one each, withdrawable."""

    __tablename__ = "club_topic_votes"
    __table_args__ = (UniqueConstraint("topic_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="club_topics.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)


class ClubMinutes(SQLModel, table=True):
    """What a meeting shared, recorded by an animator afterwards; the topics it treated point at
    the meeting, and who can help on what are directory entries of the meeting."""

    __tablename__ = "club_minutes"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", unique=True)
    practices: str = Field(default="", sa_column=Column(Text, nullable=False))
    # Emptied when the animator is erased: the club keeps its minutes.
    written_by: int | None = Field(default=None, foreign_key="people.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class DirectoryEntry(SQLModel, table=True):
    """An entry of a club's directory of competencies: a subject, what was shared about it, the
    members to contact (``DirectoryContact``), keywords, a link or a file. Written in a meeting's
    minutes (``event_id``) or declared by a member about themself (``member_id``, erased with
    them). Searched with the database's full-text search (bot/storage/search.py)."""

    __tablename__ = "directory_entries"

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="clubs.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="events.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    subject: str = Field(max_length=200)
    shared: str = Field(default="", sa_column=Column(Text, nullable=False))
    keywords: str = Field(default="", max_length=300)
    link: str | None = Field(default=None, max_length=500)
    file_name: str | None = Field(default=None, max_length=200)
    file_type: str | None = Field(default=None, max_length=100)
    file_data: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    created_at: datetime = Field(default_factory=utcnow)


class DirectoryContact(SQLModel, table=True):
    """A member to contact about a directory entry."""

    __tablename__ = "directory_contacts"
    __table_args__ = (UniqueConstraint("entry_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="directory_entries.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)


EXCHANGE_KINDS: tuple[str, ...] = ("offer", "request")


class ExchangePost(SQLModel, table=True):
    """An offer or a request of the club's non-commercial service exchange. A request with no
    match after a week goes to the animators (``escalated_at``)."""

    __tablename__ = "exchange_posts"

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="clubs.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    kind: str = Field(max_length=8)
    text: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    closed_at: datetime | None = None
    escalated_at: datetime | None = None


INTRODUCTION_STATUSES: tuple[str, ...] = ("pending", "accepted", "declined")


class Introduction(SQLModel, table=True):
    """A member asking to be put in touch with another, double opt-in: the other accepts or
    declines; only an accepted one gives each the other's name, company and chosen contact."""

    __tablename__ = "introductions"

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="clubs.id", index=True)
    requester_id: int = Field(foreign_key="people.id", index=True)
    recipient_id: int = Field(foreign_key="people.id", index=True)
    reason: str = Field(max_length=500)
    requester_contact: str = Field(max_length=200)
    recipient_contact: str | None = Field(default=None, max_length=200)
    status: str = Field(default="pending", max_length=10)
    # What led to it: a directory entry, or an exchange offer or request.
    entry_id: int | None = Field(default=None, foreign_key="directory_entries.id", index=True)
    post_id: int | None = Field(default=None, foreign_key="exchange_posts.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    answered_at: datetime | None = None


class Consultant(SQLModel, table=True):
    """A consultant the pôle's animators refer members to when a problem has never been met
    in the club; a member sees one only when referred."""

    __tablename__ = "consultants"

    id: int | None = Field(default=None, primary_key=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    name: str = Field(max_length=150)
    specialities: str = Field(max_length=300)
    contact: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class ConsultantReferral(SQLModel, table=True):
    """An animator giving a member a consultant's contact, about a request or not."""

    __tablename__ = "consultant_referrals"

    id: int | None = Field(default=None, primary_key=True)
    consultant_id: int = Field(foreign_key="consultants.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    post_id: int | None = Field(default=None, foreign_key="exchange_posts.id", index=True)
    # Emptied when the animator is erased.
    referred_by: int | None = Field(default=None, foreign_key="people.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class CafeMember(SQLModel, table=True):
    """A club member who opted in to the monthly « café RSE »."""

    __tablename__ = "cafe_members"
    __table_args__ = (UniqueConstraint("club_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="clubs.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class CafePair(SQLModel, table=True):
    """Two members of a club paired for a month's « café RSE »."""

    __tablename__ = "cafe_pairs"
    __table_args__ = (UniqueConstraint("club_id", "month", "first_id"),)

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="clubs.id", index=True)
    # "2027-03": the month they were paired for.
    month: str = Field(max_length=7)
    first_id: int = Field(foreign_key="people.id", index=True)
    second_id: int = Field(foreign_key="people.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class ModuleProgress(SQLModel, table=True):
    """A member's way through one awareness module (content/awareness/modules): begun, where
    they stopped, and their best quiz score once they finished it."""

    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("person_id", "module_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    module_id: str = Field(max_length=60)
    # When they first opened it.
    seen_at: datetime = Field(default_factory=utcnow)
    # The step « Reprendre » shows next (the number of steps: the quiz, from its first
    # question); back to 0 when the quiz ends, so that opening it again starts over.
    step: int = Field(default=0)
    # Their best score so far, and out of how many questions.
    quiz_score: int | None = None
    quiz_total: int | None = None
    # When they last finished its quiz.
    completed_at: datetime | None = None


# --- workshops (handlers/workshops/) ----------------------------------------------------------


class WorkshopRequest(SQLModel, table=True):
    """A member's request for a workshop or thematic day: on one of the content's themes
    (content/awareness/workshops.yaml), or in their own words. ``key`` groups the requests
    for the same thing: the theme's id, or the own words folded without filler words."""

    __tablename__ = "workshop_requests"
    __table_args__ = (UniqueConstraint("pole_id", "person_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    theme: str | None = Field(default=None, max_length=60)
    # The own words as typed; empty for a theme.
    text: str = Field(default="", max_length=200)
    key: str = Field(max_length=200, index=True)
    # The workshop planned for it, once there is one: the request is then answered.
    workshop_id: int | None = Field(default=None, foreign_key="workshops.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Workshop(SQLModel, table=True):
    """A workshop or thematic day of a pôle: an event of handlers/events (kind « workshop »,
    no club), made by an animator from the requests of ``key`` (a theme's id, or own words
    folded)."""

    __tablename__ = "workshops"

    id: int | None = Field(default=None, primary_key=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    event_id: int = Field(foreign_key="events.id", unique=True)
    theme: str | None = Field(default=None, max_length=60)
    key: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class EventGuest(SQLModel, table=True):
    """Someone an event is for when it is for named people only (``Event.guests_only``): a
    workshop for those who asked for it."""

    __tablename__ = "event_guests"
    __table_args__ = (UniqueConstraint("event_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class WorkshopFeedback(SQLModel, table=True):
    """A participant's answers to a workshop's satisfaction survey
    (content/questionnaires/satisfaction_atelier.yaml), with their company as it was then:
    the animators see figures per company, under the anonymity rule."""

    __tablename__ = "workshop_feedback"
    __table_args__ = (UniqueConstraint("workshop_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshops.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    company: str | None = Field(default=None, max_length=150)
    answers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    comments: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


# --- programmes (handlers/programmes/) --------------------------------------------------------


class ProgrammeRun(SQLModel, table=True):
    """A pôle running one of the content's programmes (content/awareness/programmes/) from a
    start date; each step is due some time after it."""

    __tablename__ = "programme_runs"
    __table_args__ = (UniqueConstraint("pole_id", "programme_id", "starts_on"),)

    id: int | None = Field(default=None, primary_key=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    programme_id: str = Field(max_length=60)
    starts_on: date
    created_at: datetime = Field(default_factory=utcnow)


class ProgrammeEnrolment(SQLModel, table=True):
    """A member following a run. What they did of its steps is read from the features' own
    rows (module_progress, diagnostics, planned_actions…), not copied here; ``shared`` is
    whether the pôle's animators may see it (not unless they said so)."""

    __tablename__ = "programme_enrolments"
    __table_args__ = (UniqueConstraint("run_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="programme_runs.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    shared: bool = Field(default=False)
    enrolled_at: datetime = Field(default_factory=utcnow)


class ProgrammeStepRecord(SQLModel, table=True):
    """A step that only the programme knows of: the label a member aims at (a ``label``
    step), their closing review (a ``review`` step) in their words."""

    __tablename__ = "programme_step_records"
    __table_args__ = (UniqueConstraint("enrolment_id", "step_id"),)

    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: int = Field(foreign_key="programme_enrolments.id", index=True)
    step_id: str = Field(max_length=60)
    label_id: str | None = Field(default=None, max_length=60)
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    done_at: datetime = Field(default_factory=utcnow)


# --- readiness (handlers/readiness/) ----------------------------------------------------------


class ReadinessResult(SQLModel, table=True):
    """A member's last « Suis-je prêt ? » for one label (content/awareness/readiness/): what
    they answered to each requirement, and how many looked met."""

    __tablename__ = "readiness_results"
    __table_args__ = (UniqueConstraint("person_id", "label_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    label_id: str = Field(max_length=60)
    # Requirement id -> answer id (yes, partly, no, dont_know).
    answers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    met: int
    total: int
    completed_at: datetime = Field(default_factory=utcnow)


# --- resources (handlers/resources/) ----------------------------------------------------------


class ResourceFile(SQLModel, table=True):
    """A document a pôle's animator added to /ressources (a guide, slides, a template of their
    own), which the pôle's members receive on request. It is the pôle's: erasing the animator
    who added it keeps it, without their name."""

    __tablename__ = "resource_files"

    id: int | None = Field(default=None, primary_key=True)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    title: str = Field(max_length=120)
    filename: str = Field(max_length=200)
    mime_type: str = Field(max_length=100)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    added_by: int | None = Field(default=None, foreign_key="people.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


# --- Slack workspaces (bot/transports/slack_oauth.py) -----------------------------------------


class SecretString(TypeDecorator[SecretStr]):
    """A secret kept as text and read back as a SecretStr, which no repr or log line shows."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: SecretStr | str | None, dialect: Dialect) -> str | None:
        return value.get_secret_value() if isinstance(value, SecretStr) else value

    def process_result_value(self, value: str | None, dialect: Dialect) -> SecretStr | None:
        return SecretStr(value) if value is not None else None


class SlackInstallation(SQLModel, table=True):
    """A Slack workspace that installed the app through OAuth, tied to the pôle whose install
    link its admin followed: its members join that pôle, and whatever the bot says there goes
    with its bot token. The pôle's, not a person's: who installed it is not kept."""

    __tablename__ = "slack_installations"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, unique=True)
    team_name: str = Field(max_length=200)
    pole_id: int = Field(foreign_key="poles.id", index=True)
    bot_token: SecretStr = Field(sa_column=Column(SecretString(255), nullable=False))
    bot_id: str = Field(max_length=32)
    bot_user_id: str = Field(max_length=32)
    bot_scopes: str = Field(max_length=500)
    installed_at: datetime = Field(default_factory=utcnow)


class SlackChat(SQLModel, table=True):
    """The workspace of a Slack account or channel the bot heard from, so that what it sends
    there later (a broadcast, a reminder) goes with that workspace's token. ``user_id`` is the
    person whose account or direct-message channel it is (None for a channel), so the row is
    theirs: exported and erased with them."""

    __tablename__ = "slack_chats"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(max_length=128, unique=True)
    team_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("slack_installations.team_id"), nullable=False, index=True
        )
    )
    user_id: str | None = Field(default=None, max_length=128, index=True)
    seen_at: datetime = Field(default_factory=utcnow)
