"""A club's charter of values over time: an animator publishes a new version (``/club charte``:
the current text, the new one, a preview), and every member is asked to accept it before
seeing the club again; a member sees which version they accepted, and when."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Answer, Context, Done, Flow, Next, Outcome, Retry, Step
from bot.messages import Button, Reply, Text
from bot.storage import repositories as repo
from handlers.actions import Action
from handlers.club.admin import club_step, start_for_club, tell

EDIT_FLOW = "club_charter_edit"
# A charter is read in a chat before joining: a few screens at most.
CHARTER_MAX = 6000


async def charter(context: Context, args: Sequence[str] = ()) -> list[Reply]:
    """``/club charte``: an animator writes a club's new charter; a member sees the version of
    each club's charter they accepted."""
    if context.has_role("animator"):
        return await start_for_club(context, EDIT_FLOW, "text")
    return [await _accepted(context)]


async def _accepted(context: Context) -> Reply:
    """Each of the person's clubs: the version they accepted and when, or the one to read."""
    assert context.person is not None and context.person.id is not None
    texts = context.texts
    lines: list[Text] = []
    buttons: list[Button] = []
    for club, member in await repo.clubs_of(
        context.session, person_id=context.person.id, pole_id=context.pole_id
    ):
        if member.status == "removed":
            continue
        latest = await repo.latest_charter(context.session, club_id=club.id or 0)
        if member.status == "member" and member.charter_version == latest.version:
            day = member.accepted_at.astimezone(context.settings.tz) if member.accepted_at else None
            lines.append(
                texts(
                    "club.charter.accepted",
                    club=club.name,
                    version=latest.version,
                    day=day.strftime("%d/%m/%Y") if day else "?",
                )
            )
            continue
        # Invited, or a new version since: the charter to read comes first.
        lines.append(texts("club.charter.to_read", club=club.name))
        label = texts.label("club.read_charter", club=club.name)
        buttons.append(context.command_button(label, f"club rejoindre {club.code}"))
    if not lines:
        return context.say("club.charter.none")
    return Reply(Text.join([texts("club.charter.title"), *lines]), tuple(buttons))


async def _club_name(context: Context) -> str:
    club = await repo.pole_club(
        context.session, pole_id=context.pole_id, club_id=context.data["club_id"]
    )
    assert club is not None  # clubs are never deleted
    return club.name


async def ask_text(context: Context) -> Reply:
    """Shows the charter in force and asks for the new one, in full."""
    current = await repo.latest_charter(context.session, club_id=context.data["club_id"])
    context.data["base"] = current.version
    texts = context.texts
    intro = texts("club.charter.current", club=await _club_name(context), version=current.version)
    ask = texts("club.charter.ask_text", maximum=CHARTER_MAX)
    return Reply(Text.join([intro, Text.parse(current.text), ask], "\n\n"))


async def answer_text(context: Context, answer: Answer) -> Outcome:
    text = answer.text.strip()
    if not text:
        return Retry(context.say("errors.empty_answer"))
    if len(text) > CHARTER_MAX:
        return Retry(context.say("errors.too_long", length=len(text), maximum=CHARTER_MAX))
    current = await repo.latest_charter(context.session, club_id=context.data["club_id"])
    if text.split() == current.text.split():
        return Retry(context.say("club.charter.unchanged"))
    context.data["text"] = text
    return Next("confirm")


async def _told(context: Context) -> list[int]:
    """The club's members, whatever version they accepted: each must accept the new one."""
    roster = await repo.club_roster(context.session, club_id=context.data["club_id"])
    return [member.person_id for _, member in roster if member.status == "member"]


async def ask_confirm(context: Context) -> Reply:
    """Shows the new charter as members will read it, and asks to publish it."""
    texts = context.texts
    version = context.data["base"] + 1
    count = len(await _told(context))
    preview = texts("club.charter.preview", club=await _club_name(context), version=version)
    effect = texts("club.charter.effect", count=count)
    buttons = (
        context.choice(texts.label("club.charter.publish", version=version), "publish"),
        context.choice(texts.label("club.charter.rewrite"), "rewrite"),
        context.choice(texts.label("club.charter.drop"), "drop"),
    )
    return Reply(Text.join([preview, Text.parse(context.data["text"]), effect], "\n\n"), buttons)


async def answer_confirm(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "drop":
        return Done([context.say("club.charter.dropped")])
    if answer.choice == "rewrite":
        return Next("text")
    if answer.choice != "publish":
        return Retry(context.say("errors.pick_a_button"))
    club = await repo.pole_club(
        context.session, pole_id=context.pole_id, club_id=context.data["club_id"]
    )
    assert club is not None and club.id is not None
    if (await repo.latest_charter(context.session, club_id=club.id)).version != context.data[
        "base"
    ]:
        # Another animator published meanwhile: this text was written against an older one.
        return Next("text", [context.say("club.charter.changed_meanwhile")])
    published = await repo.publish_charter(
        context.session, club_id=club.id, text=context.data["text"]
    )
    told = await _told(context)
    for person_id in told:
        await tell(
            context,
            person_id=person_id,
            kind="club_charter",
            key="club.charter.changed",
            button=("club.read_charter", f"club rejoindre {club.code}"),
            club=club.name,
            version=published.version,
        )
    return Done([context.say("club.charter.published", version=published.version, count=len(told))])


ACTIONS = (Action(("charte", "charter"), charter),)
FLOWS = (
    Flow(
        EDIT_FLOW,
        "club.charter.edit_title",
        "club",
        {
            "club": club_step("text"),
            "text": Step(ask_text, answer_text),
            "confirm": Step(ask_confirm, answer_confirm),
        },
        role="animator",
    ),
)
