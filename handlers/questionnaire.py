"""Any questionnaire of ``content/questionnaires`` in chat: one question at a time with its
progress, the scale as buttons (and "je ne sais pas"), an optional comment on each question
(unless ``question_comments`` is off) and, after a section's last answer, the section's optional
closing comment, the answers kept in the conversation state so that it resumes days later.
What follows the last answer belongs to the feature: it is the runner's ``finish``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.conversation import Answer, Context, Done, Next, Outcome, Retry, Step
from bot.messages import Reply, Text
from content.questionnaires.models import (
    DONT_KNOW,
    ClosingComment,
    Question,
    Questionnaire,
    Section,
)

COMMENT = "comment"
COMMENT_MAX = 500
SKIP = "skip"


@dataclass(frozen=True)
class Runner:
    """The steps ``question``, ``comment`` and ``closing_comment`` of a flow answering a
    questionnaire."""

    # Which questionnaire this conversation answers (a sector's, a quick version...).
    questionnaire: Callable[[Context], Questionnaire]
    finish: Callable[[Context, Questionnaire], Awaitable[list[Reply]]]

    @property
    def steps(self) -> Mapping[str, Step]:
        return {
            "question": Step(self.ask, self.answer),
            "comment": Step(self.ask_comment, self.answer_comment),
            "closing_comment": Step(self.ask_closing_comment, self.answer_closing_comment),
        }

    @staticmethod
    def begin(data: dict[str, Any]) -> None:
        """Start from the first question, with nothing answered."""
        data.update(index=0, answers={}, comments={})

    def _current(self, context: Context) -> tuple[Questionnaire, int, Section, Question]:
        questionnaire = self.questionnaire(context)
        asked = questionnaire.questions()
        # The content may have lost questions since the member started: stay in range.
        index = min(context.data.get("index", 0), len(asked) - 1)
        return (questionnaire, index, *asked[index])

    async def ask(self, context: Context) -> Reply:
        """Asks the current question; described answers are listed and pressed by their letter,
        plain scales (an agreement scale) are pressed by their label."""
        questionnaire, index, section, question = self._current(context)
        locale, texts = context.locale, context.texts
        lines = [
            texts(
                "questionnaire.progress",
                section=section.title(locale),
                number=index + 1,
                total=len(questionnaire.questions()),
            ),
            Text.plain(question.text(locale)),
        ]
        described = question.answers or {}
        lines += [
            texts("questionnaire.answer_line", letter=choice.id, text=described[choice.id](locale))
            for choice in questionnaire.scale
            if choice.id in described
        ]
        buttons = [
            context.choice(choice.id if described else choice.label(locale), choice.id)
            for choice in questionnaire.scale
        ]
        if questionnaire.dont_know is not None:
            buttons.append(context.choice(questionnaire.dont_know(locale), DONT_KNOW))
        if questionnaire.question_comments:
            commented = question.id in context.data.get("comments", {})
            key = "questionnaire.edit_comment" if commented else "questionnaire.add_comment"
            buttons.append(context.choice(texts.label(key), COMMENT))
        return Reply(Text.join(lines), tuple(buttons))

    async def answer(self, context: Context, answer: Answer) -> Outcome:
        questionnaire, index, section, question = self._current(context)
        if answer.choice == COMMENT and questionnaire.question_comments:
            return Next("comment")
        allowed = {choice.id for choice in questionnaire.scale}
        if questionnaire.dont_know is not None:
            allowed.add(DONT_KNOW)
        if answer.choice not in allowed:
            return Retry(context.say("questionnaire.pick_answer"))
        context.data["answers"][question.id] = answer.choice
        context.data["index"] = index + 1
        if section.closing_comment is not None and question.id == section.questions[-1].id:
            return Next("closing_comment")
        return await self._go_on(context, questionnaire)

    async def _go_on(
        self, context: Context, questionnaire: Questionnaire, replies: tuple[Reply, ...] = ()
    ) -> Outcome:
        """The next question (``index`` already points to it), or the end of the flow."""
        if context.data["index"] < len(questionnaire.questions()):
            return Next("question", replies)
        return Done([*replies, *await self.finish(context, questionnaire)])

    async def ask_comment(self, context: Context) -> Reply:
        """Asks for a free comment on the current question."""
        return context.say("questionnaire.ask_comment", maximum=COMMENT_MAX)

    async def answer_comment(self, context: Context, answer: Answer) -> Outcome:
        if answer.choice is not None:
            return Retry(context.say("errors.type_an_answer"))
        comment = _comment(context, answer.text)
        if isinstance(comment, Retry):
            return comment
        _, _, _, question = self._current(context)
        context.data["comments"][question.id] = comment
        return Next("question", [context.say("questionnaire.comment_saved")])

    def _closing(self, context: Context) -> tuple[Questionnaire, ClosingComment | None]:
        """The closing comment asked: the one of the section just finished. ``index`` already
        points past its last question (to the next question, or past the end)."""
        questionnaire = self.questionnaire(context)
        asked = questionnaire.questions()
        # As in _current, the content may have lost questions since the member started.
        index = min(context.data.get("index", 0), len(asked))
        section, _ = asked[max(index - 1, 0)]
        return questionnaire, section.closing_comment

    async def ask_closing_comment(self, context: Context) -> Reply:
        """Invites an optional comment on the section just answered, or to skip it."""
        _, closing = self._closing(context)
        texts = context.texts
        hint = texts("questionnaire.closing_comment_hint", maximum=COMMENT_MAX)
        # Content changed since: the section has no closing comment any more; the hint remains.
        lines = [Text.plain(closing.prompt(context.locale)), hint] if closing else [hint]
        skip = context.choice(texts.label("questionnaire.skip_comment"), SKIP)
        return Reply(Text.join(lines, "\n\n"), (skip,))

    async def answer_closing_comment(self, context: Context, answer: Answer) -> Outcome:
        questionnaire, closing = self._closing(context)
        if answer.choice == SKIP:
            return await self._go_on(context, questionnaire)
        if answer.choice is not None:
            return Retry(context.say("errors.pick_a_button"))
        comment = _comment(context, answer.text)
        if isinstance(comment, Retry):
            return comment
        if closing is not None:
            context.data.setdefault("comments", {})[closing.id] = comment
        saved = context.say("questionnaire.closing_comment_saved")
        return await self._go_on(context, questionnaire, (saved,))


def _comment(context: Context, typed: str) -> str | Retry:
    """A comment as kept: whitespace collapsed, neither empty nor longer than COMMENT_MAX."""
    comment = " ".join(typed.split())
    if not comment:
        return Retry(context.say("errors.empty_answer"))
    if len(comment) > COMMENT_MAX:
        return Retry(context.say("errors.too_long", length=len(comment), maximum=COMMENT_MAX))
    return comment
