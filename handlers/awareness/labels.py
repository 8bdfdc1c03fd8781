"""/labels: the RSE labels an SME hears about (Numérique Responsable, Engagé RSE, LUCIE 26000,
B Corp), each on one page: what it is, for whom, its steps, its cost and validity where a checked
source gives them, its sources with the day they were checked, and buttons to the /decouvrir
modules it relates to. Nothing personal is shown: it answers in a group chat too."""

from __future__ import annotations

from bot.conversation import Context
from bot.messages import Reply, Text
from content.awareness.labels import Label
from content.text import fold
from handlers.awareness.modules import sources_line


def find(context: Context, word: str) -> Label | None:
    """A label by its id (what the buttons send) or its number in the list."""
    labels = context.content.labels
    if word.isdigit() and 1 <= int(word) <= len(labels):
        return list(labels.values())[int(word) - 1]
    return labels.get(fold(word))


def overview(context: Context) -> Reply:
    """Every label by number, a button to open each."""
    texts, locale = context.texts, context.locale
    lines = [texts("awareness.labels.list_title"), Text()]
    buttons = []
    for number, label in enumerate(context.content.labels.values(), start=1):
        lines.append(texts("awareness.labels.line", number=number, title=label.title(locale)))
        buttons.append(context.command_button(label.title(locale), f"labels {label.id}"))
    lines += [Text(), texts("awareness.labels.pick")]
    return Reply(Text.join(lines), tuple(buttons))


def page(context: Context, label: Label) -> Reply:
    """One label's page; its related modules and the list as buttons."""
    texts, locale = context.texts, context.locale
    lines = [
        texts("awareness.labels.page_title", title=label.title(locale)),
        Text.plain(label.what(locale)),
        Text(),
        texts("awareness.labels.for_whom", text=label.for_whom(locale)),
        texts("awareness.labels.steps"),
    ]
    lines += [
        texts("awareness.labels.step", number=number, text=step(locale))
        for number, step in enumerate(label.steps, start=1)
    ]
    lines.append(
        texts("awareness.labels.cost", text=label.cost(locale))
        if label.cost is not None
        else texts("awareness.labels.no_cost")
    )
    lines.append(
        texts("awareness.labels.validity", text=label.validity(locale))
        if label.validity is not None
        else texts("awareness.labels.no_validity")
    )
    lines += [
        Text(),
        sources_line(context, label.sources),
        texts(
            "awareness.labels.review",
            reviewed=label.reviewed.strftime("%d/%m/%Y"),
            review_by=label.review_by.strftime("%d/%m/%Y"),
        ),
    ]
    modules = context.content.modules
    buttons = [
        context.command_button(
            texts.label("awareness.modules.axis_button", title=modules[module_id].title(locale)),
            f"decouvrir {module_id}",
        )
        for module_id in label.related_modules
        if module_id in modules
    ]
    # « Suis-je prêt ? » is the member's own check: offered in private only.
    if label.id in context.content.readiness and not context.incoming.is_group:
        ready = texts.label("readiness.check.ready_button")
        buttons.append(context.command_button(ready, f"pret {label.id}"))
    buttons.append(context.command_button(texts.label("awareness.labels.all_button"), "labels"))
    return Reply(Text.join(lines), tuple(buttons))


async def labels(context: Context) -> list[Reply]:
    """``/labels``: the list of labels; ``/labels LABEL`` (an id or a number) its page; an
    unknown one is said so, then the list."""
    if not context.incoming.args:
        return [overview(context)]
    label = find(context, context.incoming.args[0])
    if label is None:
        unknown = context.say("awareness.labels.unknown", name=context.incoming.args[0])
        return [unknown, overview(context)]
    return [page(context, label)]
