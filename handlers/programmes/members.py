"""The members' side of /programme: the pôle's runs, enrolling (sharing one's progress with the
animators or not, not by default), one's progress through a run with a button doing the next
step, changing one's mind about sharing, aiming at a label, leaving."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.conversation import Context
from bot.messages import Button, Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import ProgrammeEnrolment, ProgrammeRun, utcnow
from content.awareness.programmes import Programme
from content.text import fold
from handlers.actions import Action
from handlers.programmes.steps import StepStatus, do_buttons, due_on, next_step, statuses

SHARE_WORDS = {"partager", "share"}
YES_WORDS = {"oui", "yes", "confirmer", "confirm"}


def day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


def today(context: Context) -> date:
    return utcnow().astimezone(context.settings.tz).date()


def programme_of(context: Context, run: ProgrammeRun) -> Programme | None:
    return context.content.programmes.get(run.programme_id)


def is_open(context: Context, run: ProgrammeRun, programme: Programme) -> bool:
    """Members may enrol until the run's last step is due."""
    return today(context) <= due_on(run, programme.steps[-1])


async def find_run(context: Context, args: Sequence[str]) -> tuple[ProgrammeRun, Programme] | Reply:
    """The pôle's run numbered ``args[0]`` and its programme, or why there is none."""
    word = args[0].lstrip("n°#") if args else ""
    run = None
    if word.isdigit():
        run = await repo.programme_run(context.session, pole_id=context.pole_id, run_id=int(word))
    programme = programme_of(context, run) if run is not None else None
    if run is None or programme is None:
        return context.say("programmes.unknown_run", run=args[0] if args else "")
    return run, programme


async def find_enrolment(
    context: Context, args: Sequence[str]
) -> tuple[ProgrammeRun, Programme, ProgrammeEnrolment] | Reply:
    """The run of ``args[0]`` and the member's enrolment in it, or why there is none."""
    found = await find_run(context, args)
    if isinstance(found, Reply):
        return found
    run, programme = found
    assert run.id is not None
    enrolments = await repo.programme_enrolments_of(
        context.session, person_id=context.person_id, pole_id=context.pole_id
    )
    enrolment = enrolments.get(run.id)
    if enrolment is None:
        return context.say(
            "programmes.not_enrolled", run=run.id, title=programme.title(context.locale)
        )
    return run, programme, enrolment


def run_title(context: Context, run: ProgrammeRun, programme: Programme) -> Text:
    return context.texts(
        "programmes.run_line",
        title=programme.title(context.locale),
        run=run.id,
        start=day(run.starts_on),
    )


def step_lines(context: Context, found: Sequence[StepStatus]) -> list[Text]:
    """One line per step: done (with the label aimed at), the next one, the later ones."""
    texts, locale = context.texts, context.locale
    upcoming = next_step(found)
    lines = []
    for number, status in enumerate(found, start=1):
        values = {"number": number, "title": status.step.title(locale), "due": day(status.due_on)}
        if status.done:
            line = texts("programmes.progress.done", **values)
            if status.record is not None and status.record.label_id in context.content.labels:
                aimed = context.content.labels[status.record.label_id].title(locale)
                line += texts("programmes.progress.aimed", label=aimed)
        elif status is upcoming:
            line = texts("programmes.progress.next", **values)
        else:
            line = texts("programmes.progress.todo", **values)
        lines.append(line)
    return lines


def label_titles(context: Context) -> dict[str, str]:
    return {
        label_id: label.title(context.locale) for label_id, label in context.content.labels.items()
    }


async def progress(
    context: Context, run: ProgrammeRun, programme: Programme, enrolment: ProgrammeEnrolment
) -> Reply:
    """The member's progress through the run, the next step with a button doing it, and their
    sharing and leaving buttons."""
    texts, locale = context.texts, context.locale
    found = await statuses(context.session, programme, run, enrolment, zone=context.settings.tz)
    lines = [run_title(context, run, programme), *step_lines(context, found)]
    upcoming = next_step(found)
    buttons: list[Button] = []
    if upcoming is None:
        lines.append(texts("programmes.progress.all_done"))
    else:
        lines.append(
            texts(
                "programmes.progress.next_step",
                title=upcoming.step.title(locale),
                due=day(upcoming.due_on),
                what=upcoming.step.what(locale),
            )
        )
        buttons += do_buttons(texts, run, upcoming.step, label_titles(context))
    lines.append(
        texts("programmes.progress.shared" if enrolment.shared else "programmes.progress.private")
    )
    if enrolment.shared:
        buttons.append(
            context.command_button(
                texts.label("programmes.hide_button"), f"programme garder {run.id}"
            )
        )
    else:
        buttons.append(
            context.command_button(
                texts.label("programmes.share_button"), f"programme partager {run.id}"
            )
        )
    buttons.append(
        context.command_button(
            texts.label("programmes.leave_button"), f"programme quitter {run.id}"
        )
    )
    return Reply(Text.join(lines), tuple(buttons))


async def overview(context: Context) -> list[Reply]:
    """``/programme``: the pôle's runs open to enrolment and those the member follows, with
    their progress in these; « M'inscrire » for the others; for animators, a button following
    each."""
    texts, locale = context.texts, context.locale
    enrolments = await repo.programme_enrolments_of(
        context.session, person_id=context.person_id, pole_id=context.pole_id
    )
    followed: list[Reply] = []
    lines = [texts("programmes.list_title")]
    buttons = []
    # Animators follow every run the list shows, enrolled in it or not.
    to_follow = []
    for run in await repo.programme_runs(context.session, pole_id=context.pole_id):
        programme = programme_of(context, run)
        if programme is None:
            continue
        assert run.id is not None
        enrolment = enrolments.get(run.id)
        if enrolment is not None:
            followed.append(await progress(context, run, programme, enrolment))
        elif is_open(context, run, programme):
            lines += [
                Text(),
                run_title(context, run, programme),
                Text.plain(programme.summary(locale)),
            ]
            buttons.append(
                context.command_button(
                    texts.label("programmes.enrol_button", title=programme.title(locale)),
                    f"programme inscrire {run.id}",
                )
            )
        else:
            continue
        to_follow.append(
            context.command_button(
                texts.label(
                    "programmes.follow_run_button", run=run.id, title=programme.title(locale)
                ),
                f"programme suivi {run.id}",
            )
        )
    if not followed and not buttons:
        key = "programmes.none_animator" if context.has_role("animator") else "programmes.none"
        return [context.say(key, programmes=", ".join(context.content.programmes))]
    replies = [*followed]
    if buttons:
        replies.append(Reply(Text.join(lines), tuple(buttons)))
    if context.has_role("animator"):
        replies.append(context.say("programmes.follow_list", buttons=to_follow))
    return replies


async def enrol(context: Context, args: Sequence[str]) -> list[Reply]:
    """``inscrire RUN [partager]``: the member follows the run; their progress is theirs unless
    they share it (asked right away, « partager » answering it at once)."""
    found = await find_run(context, args)
    if isinstance(found, Reply):
        return [found]
    run, programme = found
    assert run.id is not None
    title = programme.title(context.locale)
    enrolments = await repo.programme_enrolments_of(
        context.session, person_id=context.person_id, pole_id=context.pole_id
    )
    if run.id in enrolments:
        already = context.say("programmes.already", title=title)
        return [already, await progress(context, run, programme, enrolments[run.id])]
    if not is_open(context, run, programme):
        return [context.say("programmes.closed", title=title)]
    shared = bool(args[1:]) and fold(args[1]) in SHARE_WORDS
    enrolment = await repo.enrol_in_programme(
        context.session, run_id=run.id, person_id=context.person_id, shared=shared
    )
    # The progress under it holds the button to share (or to stop sharing).
    welcome = context.say(
        "programmes.enrolled_shared" if shared else "programmes.enrolled", title=title
    )
    return [welcome, await progress(context, run, programme, enrolment)]


async def _set_shared(context: Context, args: Sequence[str], shared: bool) -> list[Reply]:
    found = await find_enrolment(context, args)
    if isinstance(found, Reply):
        return [found]
    run, programme, enrolment = found
    enrolment.shared = shared
    context.session.add(enrolment)
    await context.session.flush()
    key = "programmes.now_shared" if shared else "programmes.now_private"
    return [
        context.say(key, title=programme.title(context.locale)),
        await progress(context, run, programme, enrolment),
    ]


async def share(context: Context, args: Sequence[str]) -> list[Reply]:
    """``partager RUN``: the run's animators may see the member's progress."""
    return await _set_shared(context, args, True)


async def keep(context: Context, args: Sequence[str]) -> list[Reply]:
    """``garder RUN``: the member's progress is theirs again (the pôle's figures still count
    them, without a name)."""
    return await _set_shared(context, args, False)


async def leave(context: Context, args: Sequence[str]) -> list[Reply]:
    """``quitter RUN``: asks to confirm; ``quitter RUN oui`` leaves, forgetting what only the
    programme recorded (the member's modules, diagnostics and plan stay theirs)."""
    found = await find_enrolment(context, args)
    if isinstance(found, Reply):
        return [found]
    run, programme, enrolment = found
    title = programme.title(context.locale)
    if not (len(args) > 1 and fold(args[1]) in YES_WORDS):
        confirm = context.command_button(
            context.texts.label("programmes.leave_confirm_button"),
            f"programme quitter {run.id} oui",
        )
        return [context.say("programmes.leave_confirm", title=title, buttons=[confirm])]
    await repo.leave_programme(context.session, enrolment=enrolment)
    return [context.say("programmes.left", title=title)]


async def aim_label(context: Context, args: Sequence[str]) -> list[Reply]:
    """``label RUN LABEL``: the label the member aims at, which does the run's label step."""
    found = await find_enrolment(context, args)
    if isinstance(found, Reply):
        return [found]
    run, programme, enrolment = found
    step = next((step for step in programme.steps if step.kind == "label"), None)
    if step is None:
        return [context.say("programmes.no_label_step", title=programme.title(context.locale))]
    label_id = fold(args[1]) if len(args) > 1 else ""
    if label_id not in (step.labels or context.content.labels):
        return [context.say("programmes.unknown_label", label=args[1] if len(args) > 1 else "")]
    assert enrolment.id is not None
    await repo.record_programme_step(
        context.session, enrolment_id=enrolment.id, step_id=step.id, now=utcnow(), label_id=label_id
    )
    aimed = context.content.labels[label_id].title(context.locale)
    return [
        context.say("programmes.label_aimed", label=aimed),
        await progress(context, run, programme, enrolment),
    ]


ACTIONS = [
    Action(("inscrire", "minscrire", "rejoindre", "enrol", "enroll", "join"), enrol),
    Action(("partager", "share"), share),
    Action(("garder", "prive", "masquer", "hide", "keep"), keep),
    Action(("quitter", "leave"), leave),
    Action(("label",), aim_label),
]
