"""The animators' side of /programme: opening a run of a programme from a date
(« /programme ouvrir cluster_bio 05/01/2027 »), and following a run (« /programme suivi 3 »):
each member who shares their progress, with their steps, then the pôle's figures, companies per
step, under the one anonymity rule (handlers/anonymity.py)."""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from datetime import date

from bot.conversation import Context
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from content.awareness.programmes import Programme
from content.text import fold
from handlers.actions import Action
from handlers.anonymity import aggregate, distribution
from handlers.diagnostic.figures import company_key
from handlers.programmes.members import day, find_run, run_title, step_lines
from handlers.programmes.steps import next_step, statuses

# « 05/01/2027 », « 5/1/2027 », « 05.01.2027 », « 2027-01-05 ».
_FRENCH_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
# The band of the companies that did every step.
FINISHED = "finished"


def parse_day(word: str) -> date | None:
    """A day written JJ/MM/AAAA (or AAAA-MM-JJ), None when it is not one."""
    if match := _FRENCH_DAY.match(word):
        day_, month, year = map(int, match.groups())
    elif match := _ISO_DAY.match(word):
        year, month, day_ = map(int, match.groups())
    else:
        return None
    try:
        return date(year, month, day_)
    except ValueError:
        return None


def _choices(context: Context) -> str:
    return " ; ".join(
        f"{programme_id} ({programme.title(context.locale)})"
        for programme_id, programme in context.content.programmes.items()
    )


async def open_run(context: Context, args: Sequence[str]) -> list[Reply]:
    """``ouvrir PROGRAMME JJ/MM/AAAA``: the pôle runs the programme from that day; its members
    find it in /programme."""
    if len(args) != 2:
        return [context.say("programmes.open_usage", programmes=_choices(context))]
    programme = context.content.programmes.get(fold(args[0]))
    if programme is None:
        return [
            context.say("programmes.unknown_programme", name=args[0], programmes=_choices(context))
        ]
    starts_on = parse_day(args[1])
    if starts_on is None:
        return [context.say("programmes.bad_day", day=args[1])]
    run = await repo.open_programme_run(
        context.session, pole_id=context.pole_id, programme_id=programme.id, starts_on=starts_on
    )
    title = programme.title(context.locale)
    if run is None:
        return [context.say("programmes.run_exists", title=title, start=day(starts_on))]
    follow = context.command_button(
        context.texts.label("programmes.follow_button"), f"programme suivi {run.id}"
    )
    return [
        context.say(
            "programmes.opened", title=title, run=run.id, start=day(starts_on), buttons=[follow]
        )
    ]


def _band_name(context: Context, programme: Programme, categories: Sequence[str]) -> str:
    def name(category: str) -> str:
        if category == FINISHED:
            return context.texts.label("programmes.follow.finished")
        step = programme.step(category)
        return step.title(context.locale) if step is not None else category

    if len(categories) == 1:
        return context.texts.label("programmes.follow.band_one", step=name(categories[0]))
    return context.texts.label(
        "programmes.follow.band_many", first=name(categories[0]), last=name(categories[-1])
    )


async def follow(context: Context, args: Sequence[str]) -> list[Reply]:
    """``suivi RUN``: the members who share their progress, each with their steps (and their
    review, if written); then how many companies are at each step, shown only where at least
    the minimum group size of companies are."""
    found = await find_run(context, args)
    if isinstance(found, Reply):
        return [found]
    run, programme = found
    assert run.id is not None
    texts, minimum = context.texts, context.settings.min_group_size
    lines = [texts("programmes.follow.title"), run_title(context, run, programme), Text()]
    # Each company at the furthest step one of its members reached (its index in the steps).
    reached: dict[Hashable, int] = {}
    shared = 0
    for enrolment, person in await repo.run_enrolments(context.session, run_id=run.id):
        steps = await statuses(context.session, programme, run, enrolment, zone=context.settings.tz)
        upcoming = next_step(steps)
        at = len(steps) if upcoming is None else steps.index(upcoming)
        key = company_key(person.company, enrolment.person_id)
        reached[key] = max(reached.get(key, 0), at)
        if not enrolment.shared:
            continue
        shared += 1
        lines.append(
            texts(
                "programmes.follow.member",
                name=person.display_name or "?",
                company=person.company or "—",
                done=sum(status.done for status in steps),
                count=len(steps),
            )
        )
        lines += step_lines(context, steps)
        review = next(
            (s.record for s in steps if s.step.kind == "review" and s.record is not None), None
        )
        if review is not None and review.comment:
            lines.append(texts("programmes.follow.review", comment=review.comment))
    if not shared:
        lines.append(texts("programmes.follow.nobody_shares"))
    lines += [Text(), *_figures(context, programme, reached, minimum)]
    return [Reply(Text.join(lines))]


def _figures(
    context: Context, programme: Programme, reached: dict[Hashable, int], minimum: int
) -> list[Text]:
    """The companies enrolled, and per step, through the anonymity rule."""
    texts = context.texts
    order = [step.id for step in programme.steps] + [FINISHED]
    enrolled = aggregate(dict.fromkeys(reached, 1.0), minimum=minimum)
    if not enrolled.shown:
        return [texts("programmes.follow.hidden", minimum=minimum)]
    lines = [texts("programmes.follow.enrolled", companies=enrolled.companies)]
    bands = distribution({key: order[at] for key, at in reached.items()}, order, minimum=minimum)
    if not bands:
        return [*lines, texts("programmes.follow.bands_hidden", minimum=minimum)]
    for band in bands:
        lines.append(
            texts(
                "programmes.follow.band",
                band=_band_name(context, programme, band.categories),
                companies=band.companies,
            )
        )
    return lines


ACTIONS = [
    Action(("ouvrir", "open"), open_run, role="animator"),
    Action(("suivi", "follow"), follow, role="animator"),
]
