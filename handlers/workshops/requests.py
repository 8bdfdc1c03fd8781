"""Members' requests for a workshop or thematic day: the content's themes, each with a button to
ask for it, or their own words (« /atelier demander achats responsables »), which name a theme
when they use one of its keywords; one request per member and thing asked, which they can
withdraw. Requests for the same own words are grouped by their ``key``: the words that say what
the request is about, folded, without filler words nor plural marks (handlers/answers.py's
``keywords``) in alphabetical order, so that « un atelier sur les achats responsables » and
« Responsables, les achats » are one request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.conversation import Context, Retry
from bot.messages import Button, Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import WorkshopRequest, utcnow
from content.awareness.workshops import WorkshopTheme
from content.text import fold
from handlers.actions import Action
from handlers.answers import WORKSHOP_WORDS, keywords
from handlers.events.invitations import local_time
from handlers.validation import clean_line

OWN_WORDS_MAX = 200
# Workshops shown in the overview at most; animators see those of the last month too.
UPCOMING_SHOWN = 5
RECENT = timedelta(days=31)


def theme_in(context: Context, words: str) -> WorkshopTheme | None:
    """The theme ``words`` name: its id (what the buttons send) or one of its keywords."""
    folded = fold(words)
    themes = context.content.workshops
    if folded in themes:
        return themes[folded]
    spaced = f" {' '.join(folded.replace(chr(39), ' ').replace('-', ' ').split())} "
    return next(
        (
            theme
            for theme in themes.values()
            if any(f" {keyword} " in spaced for keyword in theme.keywords)
        ),
        None,
    )


def request_key(words: str) -> str:
    """What groups the requests made in the same words: their keywords, without the words
    asking for a workshop, in alphabetical order (« responsables achats » is « achats
    responsables »); empty when nothing is left."""
    return " ".join(sorted(word for word in keywords(words) if word not in WORKSHOP_WORDS))


def title_of(context: Context, request: WorkshopRequest) -> str:
    """A request as listed: its theme's title, or the member's words."""
    theme = context.content.workshops.get(request.theme or "")
    return theme.title(context.locale) if theme else request.text


async def overview(context: Context) -> list[Reply]:
    """``/atelier``: the themes, each with « Demander » or, once asked, « Retirer »; the
    member's requests in their own words; the pôle's coming workshops they are invited to;
    for animators, the requests ranked."""
    texts, locale = context.texts, context.locale
    mine = await repo.open_workshop_requests(
        context.session, pole_id=context.pole_id, person_id=context.person_id
    )
    asked = {request.theme: request for request in mine if request.theme}
    lines = [texts("workshops.overview.title")]
    buttons: list[Button] = []
    for number, theme in enumerate(context.content.workshops.values(), start=1):
        request = asked.get(theme.id)
        lines.append(
            texts(
                f"workshops.overview.theme.{theme.kind}",
                number=number,
                title=theme.title(locale),
                summary=theme.summary(locale),
                asked=texts.label("workshops.overview.asked") if request else "",
            )
        )
        if request is None:
            label = texts.label("workshops.overview.ask_button", number=number)
            buttons.append(context.command_button(label, f"atelier demander {theme.id}"))
        else:
            label = texts.label("workshops.overview.withdraw_button", number=number)
            buttons.append(context.command_button(label, f"atelier retirer {request.id}"))
    own = [request for request in mine if not request.theme]
    if own:
        lines.append(texts("workshops.overview.own_title"))
        for request in own:
            lines.append(texts("workshops.overview.own_line", text=request.text))
            label = texts.label("workshops.overview.withdraw_own_button", text=request.text[:30])
            buttons.append(context.command_button(label, f"atelier retirer {request.id}"))
    lines.append(texts("workshops.overview.own_words"))
    upcoming = await _upcoming(context)
    if upcoming:
        lines.append(texts("workshops.overview.upcoming_title"))
        lines += upcoming
    if context.has_role("animator"):
        buttons.append(
            context.command_button(
                texts.label("workshops.overview.demand_button"), "atelier demandes"
            )
        )
    return [Reply(Text.join(lines), tuple(buttons))]


async def _upcoming(context: Context) -> list[Text]:
    """The pôle's coming workshops the member is invited to, soonest first; for an animator,
    every workshop of the pôle from RECENT ago on, whose numbers their actions take."""
    animator = context.has_role("animator")
    since = utcnow() - RECENT if animator else utcnow()
    lines = []
    for _, event in reversed(await repo.pole_workshops(context.session, pole_id=context.pole_id)):
        if event.status != "scheduled" or event.starts_at is None or event.starts_at <= since:
            continue
        invited = context.person_id in await repo.event_audience(context.session, event=event)
        if not (animator or invited):
            continue
        when = local_time(context.settings, event.starts_at)
        lines.append(
            context.texts(
                "workshops.overview.upcoming_line", number=event.id, title=event.title, when=when
            )
        )
    return lines[:UPCOMING_SHOWN]


async def ask(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/atelier demander THÈME|MOTS``: the member's request, once per thing asked."""
    if not args:
        return [context.say("workshops.request.usage")]
    cleaned = clean_line(context, " ".join(args), max_length=OWN_WORDS_MAX)
    if isinstance(cleaned, Retry):
        return [cleaned.reply]
    words = cleaned.value
    theme = theme_in(context, words)
    key = theme.id if theme else request_key(words)
    if not key:
        return [context.say("workshops.request.no_subject")]
    subject = theme.title(context.locale) if theme else words
    request = await repo.add_workshop_request(
        context.session,
        pole_id=context.pole_id,
        person_id=context.person_id,
        key=key,
        theme=theme.id if theme else None,
        text="" if theme else words,
    )
    if request is None:
        return [context.say("workshops.request.already", subject=subject)]
    withdraw = context.command_button(
        context.texts.label("workshops.request.withdraw_button"), f"atelier retirer {request.id}"
    )
    key_name = "workshops.request.thanks_theme" if theme else "workshops.request.thanks_words"
    return [context.say(key_name, subject=subject, buttons=[withdraw])]


async def withdraw(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/atelier retirer N``: the member withdraws their request N."""
    if len(args) != 1 or not args[0].isdigit():
        return [context.say("workshops.request.withdraw_usage")]
    request = await repo.withdraw_workshop_request(
        context.session,
        pole_id=context.pole_id,
        person_id=context.person_id,
        request_id=int(args[0]),
    )
    if request is None:
        return [context.say("workshops.request.unknown")]
    return [context.say("workshops.request.withdrawn", subject=title_of(context, request))]


ACTIONS = (
    Action(("demander", "ask", "request"), ask),
    Action(("retirer", "withdraw"), withdraw),
)
