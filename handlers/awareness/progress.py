"""What the member has done of the awareness modules: the list /decouvrir shows, and the line
of /accueil. A module counts as finished once its quiz was answered to the end; its score is
the best the member made."""

from __future__ import annotations

from bot.conversation import Context
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from handlers.awareness.modules import open_button


async def overview(context: Context) -> Reply:
    """Every module with its summary and the member's progress, a button to open (or resume)
    each, and one for the booklet of them all (``/decouvrir livret``)."""
    texts, locale = context.texts, context.locale
    done = await repo.module_progress(context.session, person_id=context.person_id)
    lines = [texts("awareness.progress.list_title")]
    buttons = []
    for number, module in enumerate(context.content.modules.values(), start=1):
        row = done.get(module.id)
        status = Text()
        if row is not None and row.completed_at is not None:
            status += texts(
                "awareness.progress.status_done",
                score=row.quiz_score or 0,
                total=row.quiz_total or len(module.quiz),
            )
        if row is not None and 0 < row.step < len(module.steps):
            status += texts(
                "awareness.progress.status_step", number=row.step + 1, count=len(module.steps)
            )
        elif row is not None and row.step >= len(module.steps):
            status += texts("awareness.progress.status_quiz")
        lines += [
            "",
            texts("awareness.progress.line", number=number, title=module.title(locale)) + status,
            Text.plain(module.summary(locale)),
        ]
        buttons.append(open_button(context, module, row))
    label = texts.label("awareness.progress.booklet_button")
    buttons.append(context.command_button(label, "decouvrir livret"))
    return Reply(Text.join(lines), tuple(buttons))


async def home_line(context: Context) -> Text:
    """« Modules RSE : 2 sur 4 terminés (quiz 5/6) », or an invitation when none is."""
    done = await repo.module_progress(context.session, person_id=context.person_id)
    modules = context.content.modules
    finished = [row for module_id, row in done.items() if module_id in modules and row.completed_at]
    if not finished:
        return context.texts("awareness.progress.home_none")
    return context.texts(
        "awareness.progress.home",
        done=len(finished),
        count=len(modules),
        score=sum(row.quiz_score or 0 for row in finished),
        total=sum(row.quiz_total or 0 for row in finished),
    )
