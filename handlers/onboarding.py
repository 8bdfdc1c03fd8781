"""/start: welcome, consent, name, company, sector and pôle; run again to change the answers."""

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
from bot.messages import Button, Reply
from bot.storage import repositories as repo
from handlers.menu import menu_buttons
from handlers.validation import clean_line

FLOW = "onboarding"
NAME_MAX, COMPANY_MAX = 100, 150
KEEP = "keep"


async def start(context: Context) -> list[Reply]:
    """Welcome a newcomer (consent comes first) or offer a member to review their answers."""
    person = context.person
    if person is None:
        context.start_flow(FLOW)
        context.state.step = "consent"
        return [context.say("onboarding.welcome")]
    context.start_flow(
        FLOW,
        {
            "editing": True,
            "name": person.display_name,
            "company": person.company,
            "sector": person.sector,
            "pole_id": person.active_pole_id,
        },
    )
    context.state.step = "name"
    return [context.say("onboarding.welcome_back", name=person.display_name or "")]


def _keep_button(context: Context, field: str) -> list[Button]:
    current = context.data.get(field)
    if not context.data.get("editing") or not current:
        return []
    return [context.choice(context.texts.label("onboarding.keep", value=current), KEEP)]


async def ask_consent(context: Context) -> Reply:
    """Show the RGPD notice; asks to accept or refuse."""
    return context.yes_no("onboarding.consent", "onboarding.consent_yes", "onboarding.consent_no")


async def answer_consent(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "yes":
        return Next("name", [context.say("onboarding.consent_thanks")])
    if answer.choice == "no":
        # Nothing personal is kept: the state row itself is dropped with the flow.
        return Done([context.say("onboarding.consent_refused")])
    return Retry(context.say("errors.pick_a_button"))


async def ask_name(context: Context) -> Reply:
    """Asks the person's name."""
    return context.say("onboarding.ask_name", buttons=_keep_button(context, "name"))


async def answer_name(context: Context, answer: Answer) -> Outcome:
    return _text_answer(context, answer, field="name", max_length=NAME_MAX, next_step="company")


async def ask_company(context: Context) -> Reply:
    """Asks the company's name."""
    return context.say("onboarding.ask_company", buttons=_keep_button(context, "company"))


async def answer_company(context: Context, answer: Answer) -> Outcome:
    return _text_answer(
        context, answer, field="company", max_length=COMPANY_MAX, next_step="sector"
    )


def _text_answer(
    context: Context, answer: Answer, *, field: str, max_length: int, next_step: str
) -> Outcome:
    if answer.choice == KEEP and context.data.get(field):
        return Next(next_step)
    if answer.choice is not None:
        return Retry(context.say("errors.type_an_answer"))
    cleaned = clean_line(context, answer.text, max_length=max_length)
    if isinstance(cleaned, Retry):
        return cleaned
    context.data[field] = cleaned.value
    return Next(next_step)


async def ask_sector(context: Context) -> Reply:
    """Asks the sector, from the list in content/sectors.yaml."""
    buttons = [context.choice(s.label(context.locale), s.id) for s in context.content.sectors]
    current = context.content.sector(context.data.get("sector"))
    if context.data.get("editing") and current is not None:
        return context.say(
            "onboarding.ask_sector_current", sector=current.label(context.locale), buttons=buttons
        )
    return context.say("onboarding.ask_sector", buttons=buttons)


async def answer_sector(context: Context, answer: Answer) -> Outcome:
    sector = context.content.sector(answer.choice)
    if sector is None:
        return Retry(context.say("errors.pick_a_button"))
    context.data["sector"] = sector.id
    return Next("pole")


async def ask_pole(context: Context) -> Reply:
    """Asks for an invitation code, or offers the default pôle (or keeping the current one)."""
    default = await repo.default_pole(context.session)
    current = await repo.pole_by_id(context.session, context.data.get("pole_id"))
    buttons = []
    if current is not None:
        buttons.append(
            context.choice(context.texts.label("onboarding.keep", value=current.name), KEEP)
        )
    if default is not None and (current is None or current.id != default.id):
        buttons.append(
            context.choice(context.texts.label("onboarding.join", pole=default.name), "default")
        )
    return context.say("onboarding.ask_pole", buttons=buttons)


async def answer_pole(context: Context, answer: Answer) -> Outcome:
    if answer.choice == KEEP and context.data.get("pole_id"):
        pole = await repo.pole_by_id(context.session, context.data["pole_id"])
    elif answer.choice == "default":
        pole = await repo.default_pole(context.session)
    elif answer.choice is not None:
        return Retry(context.say("errors.pick_a_button"))
    else:
        cleaned = clean_line(context, answer.text, max_length=40)
        if isinstance(cleaned, Retry):
            return cleaned
        pole = await repo.pole_by_code(context.session, code=cleaned.value)
        if pole is None:
            return Retry(context.say("onboarding.unknown_code", code=cleaned.value))
    if pole is None:
        return Retry(context.say("errors.pick_a_button"))
    return Done([await _save(context, pole)])


async def _save(context: Context, pole) -> Reply:  # type: ignore[no-untyped-def]
    data, incoming = context.data, context.incoming
    fields = {
        "display_name": data["name"],
        "company": data["company"],
        "sector": data["sector"],
        "locale": context.state.locale,
    }
    person = context.person
    if person is None:
        person = await repo.create_person(
            context.session, platform=incoming.platform.value, user_id=incoming.user_id, **fields
        )
    else:
        fields["locale"] = person.locale or fields["locale"]
        person.sqlmodel_update(fields)
    context.person = person
    context.pole = pole
    context.member = await repo.join_pole(context.session, person=person, pole=pole)
    sector = context.content.sector(person.sector)
    return context.say(
        "onboarding.done",
        name=person.display_name,
        company=person.company,
        sector=sector.label(context.locale) if sector else "",
        pole=pole.name,
        buttons=menu_buttons(context),
    )


ONBOARDING = Flow(
    name=FLOW,
    title_key="onboarding.title",
    first="consent",
    steps={
        "consent": Step(ask_consent, answer_consent),
        "name": Step(ask_name, answer_name),
        "company": Step(ask_company, answer_company),
        "sector": Step(ask_sector, answer_sector),
        "pole": Step(ask_pole, answer_pole),
    },
)

feature = Feature(
    commands=[
        Command(
            "start",
            start,
            "help.start",
            starts_flow=FLOW,
            aliases=("inscription",),
            private_only=True,
        )
    ],
    flows=[ONBOARDING],
)
