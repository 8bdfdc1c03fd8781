"""/start: welcome, consent, name, company, sector, e-mail (optional, where the bot sends e-mail)
and pôle; run again to change the answers."""

from __future__ import annotations

import re

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
from bot.storage.models import Person, Pole, SurveyPartner, SurveyProject
from handlers.menu import menu_buttons
from handlers.survey import respond
from handlers.validation import clean_line

FLOW = "onboarding"
NAME_MAX, COMPANY_MAX = 100, 150
# The longest address SMTP carries (RFC 5321), and the people.email column.
EMAIL_MAX = 254
KEEP, SKIP = "keep", "skip"
# A plain address, as mail servers take it everywhere: ASCII dot-atom, a domain with a dot.
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
)


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
            "email": person.email,
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
    # Asked only where it is used: a bot that sends no e-mail keeps no address.
    if context.settings.mail_enabled:
        return Next("email")
    return await _to_pole(context)


async def ask_email(context: Context) -> Reply:
    """Asks for an e-mail address, optional, where meeting invitations go as calendar
    invitations that update themselves; « Passer » leaves it out."""
    if context.data.get("editing") and context.data.get("email"):
        remove = context.choice(context.texts.label("onboarding.email.remove"), SKIP)
        buttons = [*_keep_button(context, "email"), remove]
    else:
        buttons = [context.choice(context.texts.label("onboarding.email.skip"), SKIP)]
    return context.say("onboarding.email.ask", buttons=buttons)


async def answer_email(context: Context, answer: Answer) -> Outcome:
    if answer.choice == KEEP and context.data.get("email"):
        return await _to_pole(context)
    if answer.choice == SKIP:
        context.data["email"] = None
        return await _to_pole(context)
    if answer.choice is not None:
        return Retry(context.say("errors.pick_a_button"))
    typed = answer.text.strip()
    if not typed:
        return Retry(context.say("errors.empty_answer"))
    if len(typed) > EMAIL_MAX:
        return Retry(context.say("errors.too_long", length=len(typed), maximum=EMAIL_MAX))
    if _EMAIL.fullmatch(typed) is None:
        return Retry(context.say("onboarding.email.invalid", address=typed))
    local, _, domain = typed.rpartition("@")
    # Domains are case-blind; the part before the @ is the mail server's to read.
    context.data["email"] = f"{local}@{domain.lower()}"
    return await _to_pole(context)


async def _workspace_pole(context: Context) -> Pole | None:
    """The pôle tied to the workspace the account writes from (a Slack workspace installed for
    a pôle), if any."""
    incoming = context.incoming
    return await repo.workspace_pole(
        context.session, platform=incoming.platform.value, user_id=incoming.user_id
    )


async def _to_pole(context: Context) -> Outcome:
    """Next the pôle; a newcomer from a workspace tied to a pôle joins that one, asked nothing
    (a code of another pôle can be given later, with /start)."""
    if not context.data.get("editing"):
        pole = await _workspace_pole(context)
        if pole is not None:
            return Done([await _save(context, pole)])
    return Next("pole")


async def _offered_pole(context: Context) -> Pole | None:
    """The pôle offered by a button: the account's workspace's, else the default one."""
    return await _workspace_pole(context) or await repo.default_pole(context.session)


async def ask_pole(context: Context) -> Reply:
    """Asks for an invitation code, or offers the workspace's or default pôle (or keeping the
    current one)."""
    offered = await _offered_pole(context)
    current = await repo.pole_by_id(context.session, context.data.get("pole_id"))
    buttons = []
    if current is not None:
        buttons.append(
            context.choice(context.texts.label("onboarding.keep", value=current.name), KEEP)
        )
    if offered is not None and (current is None or current.id != offered.id):
        buttons.append(
            context.choice(context.texts.label("onboarding.join", pole=offered.name), "offered")
        )
    return context.say("onboarding.ask_pole", buttons=buttons)


async def answer_pole(context: Context, answer: Answer) -> Outcome:
    if answer.choice == KEEP and context.data.get("pole_id"):
        pole = await repo.pole_by_id(context.session, context.data["pole_id"])
    elif answer.choice == "offered":
        pole = await _offered_pole(context)
    elif answer.choice is not None:
        return Retry(context.say("errors.pick_a_button"))
    else:
        cleaned = clean_line(context, answer.text, max_length=40)
        if isinstance(cleaned, Retry):
            return cleaned
        pole = await repo.pole_by_code(context.session, code=cleaned.value)
        if pole is None:
            partner = await repo.survey_partner_by_code(context.session, code=cleaned.value)
            if partner is not None:
                return Done([await _save_respondent(context, *partner)])
            return Retry(context.say("onboarding.unknown_code", code=cleaned.value))
    if pole is None:
        return Retry(context.say("errors.pick_a_button"))
    return Done([await _save(context, pole)])


async def _save(context: Context, pole: Pole) -> Reply:
    person = await _store_person(context)
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


async def _save_respondent(
    context: Context, partner: SurveyPartner, project: SurveyProject
) -> Reply:
    """Signed up with a partner's code: a respondent of that partner, who need not be a member
    of the pôle (a public body, a research institute); a member stays one."""
    person = await _store_person(context)
    assert partner.id is not None and person.id is not None
    await repo.add_respondent(context.session, partner_id=partner.id, person_id=person.id)
    return respond.joined(context, partner, project)


async def _store_person(context: Context) -> Person:
    """The answers of the flow, as a new person or their profile updated."""
    data, incoming = context.data, context.incoming
    fields = {
        "display_name": data["name"],
        "company": data["company"],
        "sector": data["sector"],
        "email": data.get("email"),
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
    return person


ONBOARDING = Flow(
    name=FLOW,
    title_key="onboarding.title",
    first="consent",
    steps={
        "consent": Step(ask_consent, answer_consent),
        "name": Step(ask_name, answer_name),
        "company": Step(ask_company, answer_company),
        "sector": Step(ask_sector, answer_sector),
        "email": Step(ask_email, answer_email),
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
