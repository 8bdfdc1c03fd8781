"""/diffuser: an animator writes to the members of their pôle (or to a survey project's
partners), on Telegram and Slack, with a preview and a confirmation; /diffuser statut reports
how the last broadcasts were delivered."""

from __future__ import annotations

from bot.conversation import (
    Answer,
    Command,
    Context,
    Done,
    Feature,
    Flow,
    Next,
    Outcome,
    Retry,
    Step,
)
from bot.messages import IncomingFile, Platform, Reply, Text
from bot.outbox import Report, enqueue, recent_campaigns, report
from bot.storage import repositories as repo
from bot.storage.models import DRAFT_UPLOAD, Campaign, Person, Upload
from content.loader import Texts
from content.text import fold
from handlers.audiences import AUDIENCES, REACHABLE_FIRST, Audience, resolve
from handlers.validation import fetch_file

FLOW = "broadcast"
KIND = "broadcast"
# Telegram cuts at 4,096 characters: a broadcast stays one message there.
TEXT_MAX = 4000
EVERY_PLATFORM = "any"
EVERY_THEME = "all"
KEEP = "keep"
# Telegram bots may upload 50 MB; members' inboxes deserve less.
ATTACHMENT_MAX = 20_000_000
STATUS_WORDS = frozenset({"statut", "status", "etat", "rapport", "report"})


async def start(context: Context) -> list[Reply]:
    """Compose a broadcast, or ``/diffuser statut``: the last ones' delivery."""
    if context.incoming.args and fold(context.incoming.args[0]) in STATUS_WORDS:
        return [await delivery_status(context)]
    assert context.pole is not None
    context.start_flow(FLOW)
    return [context.say("broadcast.intro", pole=context.pole.name)]


async def ask_text(context: Context) -> Reply:
    """Asks for the message, formatting allowed."""
    return context.say("broadcast.ask_text", maximum=TEXT_MAX)


async def answer_text(context: Context, answer: Answer) -> Outcome:
    if answer.choice is not None:
        return Retry(context.say("errors.type_an_answer"))
    text = "".join(ch for ch in answer.text if ch.isprintable() or ch in "\n\t").strip()
    if not text:
        return Retry(context.say("errors.empty_answer"))
    if len(text) > TEXT_MAX:
        return Retry(context.say("errors.too_long", length=len(text), maximum=TEXT_MAX))
    context.data["text"] = text
    return Next("attachment")


async def ask_attachment(context: Context) -> Reply:
    """Asks for an optional file, offering to keep the one already given."""
    texts = context.texts
    buttons = [context.choice(texts.label("broadcast.no_attachment"), "none")]
    if (name := context.data.get("attachment_name")) and await _upload(context) is not None:
        buttons.insert(0, context.choice(texts.label("broadcast.keep_attachment", name=name), KEEP))
    return context.say(
        "broadcast.ask_attachment", maximum=ATTACHMENT_MAX // 1_000_000, buttons=buttons
    )


async def answer_attachment(context: Context, answer: Answer) -> Outcome:
    if answer.files:
        refusal = await _keep_upload(context, answer.files[0])
        if refusal is not None:
            return Retry(refusal)
    elif answer.choice == "none":
        await _drop_upload(context)
    elif not (answer.choice == KEEP and await _upload(context) is not None):
        return Retry(context.say("broadcast.attachment_expected"))
    if len(AUDIENCES) == 1:
        context.data["audience"] = next(iter(AUDIENCES))
        return Next("platform")
    return Next("audience")


async def _keep_upload(context: Context, file: IncomingFile) -> Reply | None:
    """Store the file until the broadcast is sent; the reason it cannot be, if so."""
    data = await fetch_file(
        context,
        file,
        maximum=ATTACHMENT_MAX,
        too_big="broadcast.attachment_too_big",
        failed="broadcast.attachment_failed",
    )
    if isinstance(data, Reply):
        return data
    assert context.person is not None and context.person.id is not None
    await _drop_upload(context)
    upload = await repo.add_upload(
        context.session,
        person_id=context.person.id,
        filename=file.filename,
        mime_type=file.mime_type,
        data=data,
    )
    context.data.update(
        {DRAFT_UPLOAD: upload.id, "attachment_name": upload.filename, "attachment_size": len(data)}
    )
    return None


async def _upload(context: Context) -> Upload | None:
    """The draft's file, None if it has none or if it expired (an abandoned draft's file is
    purged after a while: see scheduler/jobs.py)."""
    upload_id = context.data.get(DRAFT_UPLOAD)
    return None if upload_id is None else await context.session.get(Upload, upload_id)


async def _drop_upload(context: Context) -> None:
    upload_id = context.data.pop(DRAFT_UPLOAD, None)
    context.data.pop("attachment_name", None)
    context.data.pop("attachment_size", None)
    if upload_id is not None:
        await repo.delete_upload(context.session, upload_id=upload_id)


async def _offered(context: Context) -> list[str]:
    """The audiences to choose from: a club's members only if the pôle has a club, a
    project's partners only if it has a survey project."""
    assert context.pole is not None and context.pole.id is not None
    session, pole_id = context.session, context.pole.id
    hidden: set[str] = set()
    if not await repo.pole_clubs(session, pole_id=pole_id):
        hidden.add("club")
    if not await repo.pole_survey_projects(session, pole_id=pole_id):
        hidden.add("partners")
    return [name for name in AUDIENCES if name not in hidden]


async def ask_audience(context: Context) -> Reply:
    """Asks who receives it."""
    assert context.pole is not None
    label = context.texts.label
    buttons = [
        context.choice(label(f"broadcast.audiences.{name}", pole=context.pole.name), name)
        for name in await _offered(context)
    ]
    return context.say("broadcast.ask_audience", buttons=buttons)


async def answer_audience(context: Context, answer: Answer) -> Outcome:
    if answer.choice not in await _offered(context):
        return Retry(context.say("errors.pick_a_button"))
    context.data["audience"] = answer.choice
    return Next(
        {"veille": "theme", "club": "club", "partners": "project"}.get(answer.choice, "platform")
    )


async def ask_club(context: Context) -> Reply:
    """Asks the members of which club."""
    assert context.pole is not None and context.pole.id is not None
    clubs = await repo.pole_clubs(context.session, pole_id=context.pole.id)
    buttons = [context.choice(club.name, str(club.id)) for club, _ in clubs]
    return context.say("broadcast.ask_club", buttons=buttons)


async def answer_club(context: Context, answer: Answer) -> Outcome:
    assert context.pole is not None and context.pole.id is not None
    clubs = await repo.pole_clubs(context.session, pole_id=context.pole.id)
    if answer.choice not in {str(club.id) for club, _ in clubs}:
        return Retry(context.say("errors.pick_a_button"))
    context.data["audience"] = f"club:{answer.choice}"
    return Next("platform")


async def ask_project(context: Context) -> Reply:
    """Asks the partners of which survey project."""
    assert context.pole is not None and context.pole.id is not None
    projects = await repo.pole_survey_projects(context.session, pole_id=context.pole.id)
    buttons = [context.choice(project.name, str(project.id)) for project in projects]
    return context.say("broadcast.ask_project", pole=context.pole.name, buttons=buttons)


async def answer_project(context: Context, answer: Answer) -> Outcome:
    assert context.pole is not None and context.pole.id is not None
    projects = await repo.pole_survey_projects(context.session, pole_id=context.pole.id)
    if answer.choice not in {str(project.id) for project in projects}:
        return Retry(context.say("errors.pick_a_button"))
    context.data["audience"] = f"partners:{answer.choice}"
    return Next("platform")


async def ask_theme(context: Context) -> Reply:
    """Asks which theme's subscribers, or all of them."""
    themes = context.content.themes
    buttons = [context.choice(context.texts.label("broadcast.every_subscriber"), EVERY_THEME)]
    buttons += [context.choice(themes.label(t, context.locale), t) for t in themes.ids]
    return context.say("broadcast.ask_theme", buttons=buttons)


async def answer_theme(context: Context, answer: Answer) -> Outcome:
    name = context.data["audience"].partition(":")[0]
    if answer.choice == EVERY_THEME:
        context.data["audience"] = name
    elif answer.choice in context.content.themes.ids:
        context.data["audience"] = f"{name}:{answer.choice}"
    else:
        return Retry(context.say("errors.pick_a_button"))
    return Next("platform")


async def audience_label(context: Context, audience: str) -> str:
    """« Tous les membres de Pôle RSE », « Les abonnés à la veille de Pôle RSE — Climat… »."""
    assert context.pole is not None
    name, _, theme = audience.partition(":")
    if name == "club":
        club = await repo.pole_club(
            context.session, pole_id=context.pole.id or 0, club_id=int(theme)
        )
        return context.texts.label("broadcast.audience_club", club=club.name if club else "?")
    if name == "partners":
        project = await repo.survey_project(
            context.session, pole_id=context.pole.id or 0, project_id=int(theme)
        )
        return context.texts.label(
            "broadcast.audience_partners", project=project.name if project else "?"
        )
    label = context.texts.label(f"broadcast.audiences.{name}", pole=context.pole.name)
    if theme:
        label = context.texts.label(
            "broadcast.audience_theme",
            audience=label,
            theme=context.content.themes.label(theme, context.locale),
        )
    return label


async def _audience(context: Context, platform: str | None = None) -> Audience:
    assert context.pole is not None and context.pole.id is not None
    chosen = platform or context.data.get("platform", EVERY_PLATFORM)
    return await resolve(
        context.session,
        audience=context.data["audience"],
        pole_id=context.pole.id,
        platform=None if chosen == EVERY_PLATFORM else Platform(chosen),
    )


async def ask_platform(context: Context) -> Reply:
    """Asks on which platforms, with the number of people reachable on each."""
    everyone = await _audience(context, EVERY_PLATFORM)
    counts = everyone.by_platform()
    buttons = [
        context.choice(
            context.texts.label("broadcast.every_platform", count=everyone.reachable),
            EVERY_PLATFORM,
        )
    ]
    for platform in REACHABLE_FIRST:
        label = context.texts.label(f"broadcast.only.{platform.value}", count=counts[platform])
        buttons.append(context.choice(label, platform.value))
    return context.say("broadcast.ask_platform", buttons=buttons)


async def answer_platform(context: Context, answer: Answer) -> Outcome:
    allowed = {EVERY_PLATFORM, *(p.value for p in REACHABLE_FIRST)}
    if answer.choice not in allowed:
        return Retry(context.say("errors.pick_a_button"))
    context.data["platform"] = answer.choice
    return Next("confirm")


async def ask_confirm(context: Context) -> Reply:
    """Shows the message as it will go out, the recipients per platform, and asks to send."""
    audience = await _audience(context)
    texts = context.texts
    summary = texts(
        "broadcast.recipients",
        audience=await audience_label(context, context.data["audience"]),
        total=audience.reachable,
        telegram=audience.count(Platform.TELEGRAM),
        slack=audience.count(Platform.SLACK),
    )
    if audience.unreachable:
        summary = summary + "\n" + texts("broadcast.unreachable", count=audience.unreachable)
    buttons = []
    if name := context.data.get("attachment_name"):
        if await _upload(context) is None:
            attached = texts("broadcast.attachment_expired", name=name)
            buttons.append(context.choice(texts.label("broadcast.change_attachment"), "attachment"))
        else:
            size = max(1, round(context.data.get("attachment_size", 0) / 1000))
            attached = texts("broadcast.attachment", name=name, size=size)
        summary = attached + "\n" + summary
    if audience.reachable:
        buttons.insert(
            0, context.choice(texts.label("broadcast.send", count=audience.reachable), "send")
        )
    buttons += [
        context.choice(texts.label("broadcast.edit"), "edit"),
        context.choice(texts.label("broadcast.change_audience"), "audience"),
        context.choice(texts.label("broadcast.change_platform"), "platform"),
        context.choice(texts.label("broadcast.cancel"), "cancel"),
    ]
    preview = Text.join(
        [texts("broadcast.preview"), Text.parse(context.data["text"]), summary], "\n\n"
    )
    return Reply(preview, tuple(buttons))


async def answer_confirm(context: Context, answer: Answer) -> Outcome:
    match answer.choice:
        case "edit":
            return Next("text")
        case "audience":
            return Next("audience")
        case "attachment":
            return Next("attachment")
        case "platform":
            return Next("platform")
        case "cancel":
            await _drop_upload(context)
            return Done([context.say("broadcast.cancelled")])
        case "send":
            return await _send(context)
    return Retry(context.say("errors.pick_a_button"))


async def _send(context: Context) -> Outcome:
    audience = await _audience(context)
    if not audience.reachable:
        return Retry(context.say("broadcast.nobody"))
    assert context.pole is not None and context.pole.id is not None
    campaign = Campaign(
        pole_id=context.pole.id,
        kind=KIND,
        author_id=context.person.id if context.person else None,
        audience=f"{context.data['audience']}:{context.data.get('platform', EVERY_PLATFORM)}",
        text=context.data["text"],
    )
    upload = await _upload(context)
    if context.data.get("attachment_name") and upload is None:
        # Expired since the preview was shown: it goes without the file only once the
        # preview has said so.
        name = context.data.pop("attachment_name")
        context.data.pop(DRAFT_UPLOAD, None)
        return Retry(context.say("broadcast.attachment_expired", name=name))
    if upload is not None:
        campaign.attachment_name = upload.filename
        campaign.attachment_type = upload.mime_type
        campaign.attachment_data = upload.data
        await _drop_upload(context)
    await enqueue(context.session, campaign=campaign, recipients=audience.recipients)
    return Done([context.say("broadcast.queued", number=campaign.id, count=audience.reachable)])


async def delivery_status(context: Context) -> Reply:
    """The last broadcasts of the pôle: sent, pending, failed and unreachable, with reasons."""
    assert context.pole is not None and context.pole.id is not None
    session, texts = context.session, context.texts
    campaigns = await recent_campaigns(session, pole_id=context.pole.id, kind=KIND)
    if not campaigns:
        return context.say("broadcast.status_none", pole=context.pole.name)
    lines = [texts("broadcast.status_title", pole=context.pole.name)]
    for campaign in campaigns:
        delivery = await report(session, campaign=campaign)
        author = await session.get(Person, campaign.author_id) if campaign.author_id else None
        excerpt = " ".join(campaign.text.split())
        lines.append(
            texts(
                "broadcast.status_line",
                number=campaign.id,
                date=campaign.created_at.astimezone(context.settings.tz).strftime("%d/%m %H:%M"),
                author=(author and author.display_name) or texts.label("broadcast.no_author"),
                excerpt=excerpt if len(excerpt) <= 60 else excerpt[:59] + "…",
            )
        )
        lines += delivery_lines(texts, delivery, reasons=3)
    return Reply(Text.join(lines))


def delivery_lines(texts: Texts, delivery: Report, *, reasons: int | None = None) -> list[Text]:
    """Sent, pending, failed and unreachable, then the reasons of failures, most frequent
    first (``reasons`` of them at most): for /diffuser statut and ``rse-bot broadcast``."""
    counts = delivery.counts
    lines = [
        texts(
            "broadcast.status_counts",
            sent=counts.get("sent", 0),
            total=delivery.total,
            pending=counts.get("pending", 0),
            failed=counts.get("failed", 0),
            unreachable=counts.get("unreachable", 0),
        )
    ]
    for status, reason, count in delivery.reasons[:reasons]:
        label = texts.label(f"broadcast.statuses.{status}")
        lines.append(texts("broadcast.status_reason", status=label, reason=reason, count=count))
    return lines


feature = Feature(
    commands=[
        Command(
            "diffuser",
            start,
            "help.diffuser",
            role="animator",
            starts_flow=FLOW,
            aliases=("broadcast",),
            private_only=True,
        )
    ],
    flows=[
        Flow(
            FLOW,
            "broadcast.title",
            "text",
            {
                "text": Step(ask_text, answer_text),
                "attachment": Step(ask_attachment, answer_attachment, takes_files=True),
                "audience": Step(ask_audience, answer_audience),
                "theme": Step(ask_theme, answer_theme),
                "club": Step(ask_club, answer_club),
                "project": Step(ask_project, answer_project),
                "platform": Step(ask_platform, answer_platform),
                "confirm": Step(ask_confirm, answer_confirm),
            },
            role="animator",
        )
    ],
)
