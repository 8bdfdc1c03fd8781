"""Free text typed outside any command or flow (« c'est quoi la VSME ? », « un atelier sur les
achats responsables ») answered from what the bot holds, rather than « je n'ai pas compris »:
the awareness modules, label pages and templates (/ressources) that speak of it, the pôle's
recent watch items and, for a club's members in their private chat, the club directory's
entries (its full-text search), each with a button to open it; a member asking in private for
a workshop (« un atelier sur … ») is offered to ask for it (/atelier, handlers/workshops/).
Only when nothing matches does the router say it did not understand.

In a group, only the modules, labels and templates answer: the watch and the directory are for
members, in private.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from bot.conversation import Context, Feature
from bot.messages import Button, Reply, Text
from content.awareness.labels import Label
from content.awareness.models import Module
from content.awareness.resources import Template
from content.text import fold
from handlers.club.directory import matching_entries
from handlers.veille.search import matching

# Words that say nothing of a subject, in the two languages (folded).
_STOPWORDS = """
alors au aucun aussi autre aux avec avoir bon car ce cela ces cest cet cette ceux chaque ci
comme comment dans de des donc du elle elles en encore est et etre faire fait il ils je la
le les leur lui ma mais me meme mes moi mon ne ni nos notre nous on ou par pas peu peut plus
pour pourquoi quand que quel quelle quelles quels qui quoi sa sans se ses si son sont sur ta
te tes toi ton tous tout tres tu un une vos votre vous cest quest questce dire sais savoir
veux voudrais aimerais besoin aide info infos a an and any are about can could do does for
from how i is it me my of on or please tell the this to what when where which who why with
you your pouvez pouvoir aider aidez etes bonjour salut merci hello
"""
STOPWORDS = frozenset(_STOPWORDS.split())
T = TypeVar("T")
# Module and watch matches shown at most.
SHOWN = 3
_WORD = re.compile(r"[a-z0-9]+")
# « achats » and « achat » are one word here, as in the directory's search.
_PLURAL = re.compile(r"(?<=[a-z]{3})[sx]$")


# What asks for a workshop or a thematic day, once folded and without plural marks.
WORKSHOP_WORDS = frozenset({"atelier", "workshop", "journee", "thematique"})


def keywords(text: str) -> list[str]:
    """The words of ``text`` that say what it is about: folded, no small or empty words,
    plural marks dropped, each once."""
    found = _WORD.findall(fold(text).replace("'", " "))
    words = (_PLURAL.sub("", word) for word in found if word not in STOPWORDS)
    return list(dict.fromkeys(w for w in words if len(w) >= 3 and w not in STOPWORDS))[:8]


def best(scored: list[tuple[str, str, T]], words: list[str]) -> list[T]:
    """The items whose (title, body) speak of most of the words (a word in the title counts
    twice), best first, those well below the best left out (a word every item uses is no
    match); none when no word is found."""
    ranked = []
    for position, (title, body, item) in enumerate(scored):
        score = sum(2 * (word in fold(title)) + (word in fold(body)) for word in words)
        if score:
            ranked.append((-score, position, item))
    if not ranked:
        return []
    top = -min(score for score, _, _ in ranked)
    kept = [row for row in ranked if -row[0] * 4 >= top * 3]
    return [item for _, _, item in sorted(kept, key=lambda row: row[:2])][:SHOWN]


def _module_text(module: Module, locale: str) -> tuple[str, str]:
    return module.title(locale), " ".join(
        [module.summary(locale)]
        + [step.text(locale) for step in module.steps]
        + [step.deeper(locale) for step in module.steps if step.deeper]
    )


def _label_text(label: Label, locale: str) -> tuple[str, str]:
    return label.title(locale), " ".join(
        [label.what(locale), label.for_whom(locale)] + [step(locale) for step in label.steps]
    )


def _template_text(template: Template, locale: str) -> tuple[str, str]:
    return template.title(locale), " ".join(
        [template.summary(locale)]
        + [section.title(locale) for section in template.sections]
        + [point(locale) for section in template.sections for point in section.points]
    )


def matching_content(
    items: Iterable[T], text_of: Callable[[T, str], tuple[str, str]], locale: str, words: list[str]
) -> list[T]:
    """The content items (modules, label pages, templates) whose title and text, as
    ``text_of`` gives them, speak of the words, best first."""
    return best([(*text_of(item, locale), item) for item in items], words)


# The content free text is answered from; each has its line and its button's label in
# content/texts/*/answers.yaml.
CONTENT_KINDS = ("module", "label", "template")


def _content_answers(context: Context, words: list[str]) -> tuple[list[Text], list[Button]]:
    """The modules, label pages and templates that speak of the words, a line and a button
    each: nothing personal, so they answer in a group too."""
    content, locale, texts = context.content, context.locale, context.texts
    found: list[tuple[str, str, Module | Label | Template, str]] = [
        *(
            ("module", "decouvrir", module, module.summary(locale))
            for module in matching_content(content.modules.values(), _module_text, locale, words)
        ),
        *(
            ("label", "labels", label, label.what(locale))
            for label in matching_content(content.labels.values(), _label_text, locale, words)
        ),
        *(
            ("template", "ressources", template, template.summary(locale))
            for template in matching_content(
                content.templates.values(), _template_text, locale, words
            )
        ),
    ]
    lines, buttons = [], []
    for kind, command, item, summary in found:
        title = item.title(locale)
        lines.append(texts(f"answers.{kind}", title=title, summary=summary))
        label = texts.label(f"answers.{kind}_button", title=title)
        buttons.append(context.command_button(label, f"{command} {item.id}"))
    return lines, buttons


async def answer(context: Context) -> list[Reply]:
    """What the bot holds about the words typed; nothing when it holds nothing."""
    words = keywords(context.incoming.text)
    if not words:
        return []
    texts = context.texts
    lines, buttons = _content_answers(context, words)
    private_member = context.member is not None and not context.incoming.is_group
    query = " ".join(words)
    if private_member:
        items = await matching(context, words)
        if items:
            lines.append(texts("answers.veille", count=len(items), words=query))
            label = texts.label("answers.veille_button")
            buttons.append(context.command_button(label, f"veille cherche {query}"))
        entries = await matching_entries(context, query, limit=SHOWN)
        if entries:
            subjects = ", ".join(f"« {entry.subject} »" for entry, _ in entries)
            lines.append(texts("answers.directory", subjects=subjects))
            label = texts.label("answers.directory_button")
            buttons.append(context.command_button(label, f"annuaire {query}"))
    subject = workshop_subject(context.incoming.text, words)
    if private_member and subject:
        lines.append(texts("answers.workshop", subject=subject))
        label = texts.label("answers.workshop_button")
        buttons.append(context.command_button(label, f"atelier demander {subject}"))
    if not lines:
        return []
    return [Reply(Text.join([texts("answers.found"), *lines]), tuple(buttons))]


# The longest subject a button carries: Telegram keeps 64 bytes of a button's value, and
# « /atelier demander » takes 18.
_SUBJECT_BYTES = 46


def workshop_subject(text: str, words: list[str]) -> str:
    """What a text asking for a workshop (« un atelier sur les achats responsables ») wants it
    on, in its own words (« achats responsables »); empty when it asks for none, or for one on
    nothing. ``words`` are the text's ``keywords``."""
    if WORKSHOP_WORDS.isdisjoint(words):
        return ""
    subject = ""
    for word in re.findall(r"[\w-]+", text):
        folded = fold(word)
        single = _PLURAL.sub("", folded)
        if len(single) < 3 or {folded, single} & (STOPWORDS | WORKSHOP_WORDS):
            continue
        longer = f"{subject} {word}".strip()
        if len(longer.encode()) > _SUBJECT_BYTES:
            break
        subject = longer
    return subject


feature = Feature(fallback=answer)
