"""The module-reviews job (handlers/awareness/review.py): each pôle's admins hear of every
module, label page, readiness check, programme and template whose review date has come, once
per item and date; nobody before; never members or animators."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.app import App
from bot.messages import Platform
from handlers.awareness import review
from scheduler.jobs import JOBS
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued

PARIS = ZoneInfo("Europe/Paris")
ADMIN, ANIMATOR, MEMBER = "5101", "5102", "5103"


async def people(app: App) -> None:
    for user_id, name, role in (
        (ADMIN, "Claire Roux", "admin"),
        (ANIMATOR, "Paul Girard", "animator"),
        (MEMBER, "Bob Lefèvre", "member"),
    ):
        chat = Chat(app, Platform.TELEGRAM, user_id)
        await chat.sign_up(name, "Scop Les Tisserands")
        if role != "member":
            await chat.grant(role)


async def run_at(app: App, now: datetime) -> int:
    async with app.database.transaction() as session:
        return await review.queue_reviews(session, app.settings, app.content, now=now)


def first_review(app: App) -> date:
    return min(item.review_by for item in review.reviewables(app.content))


async def test_admins_hear_once_of_a_module_past_its_review_date(app: App) -> None:
    await people(app)
    due = first_review(app)
    items = [item for item in review.reviewables(app.content) if item.review_by == due]
    modules = [m for m in app.content.modules.values() if m.review_by == due]
    on_the_day = datetime(due.year, due.month, due.day, 9, tzinfo=PARIS)

    assert await run_at(app, on_the_day) == len(items)
    assert await run_at(app, on_the_day.replace(hour=10)) == 0

    told = await queued(app, review.KIND)
    assert {chat_id for chat_id, _ in told} == {ADMIN}
    module = modules[0]
    text = next(c.text for _, c in told if f"({module.id})" in c.text)
    assert f"Le module « {module.title('fr')} » ({module.id}) est à revérifier depuis le" in text
    assert due.strftime("%d/%m/%Y") in text
    assert module.sources[0].name("fr") in text


async def test_nobody_hears_of_it_before_its_review_date(app: App) -> None:
    await people(app)
    due = first_review(app)
    # Late in the evening before, local time.
    the_day_before = datetime.combine(due - timedelta(days=1), time(23, 30), tzinfo=PARIS)

    assert await run_at(app, the_day_before) == 0
    assert await queued(app, review.KIND) == []


async def test_labels_readiness_checks_programmes_and_templates_are_reviewed_too(
    app: App,
) -> None:
    await people(app)
    items = review.reviewables(app.content)
    last = max(item.review_by for item in items)

    assert await run_at(app, datetime(last.year, last.month, last.day, 9, tzinfo=PARIS)) == len(
        items
    )

    texts = [campaign.text for _, campaign in await queued(app, review.KIND)]
    label = app.content.labels["lucie_26000"]
    assert any(t.startswith(f"📅 La page du label « {label.title('fr')} »") for t in texts)
    check = app.content.readiness["lucie_26000"]
    assert any(t.startswith(f"📅 Le « Suis-je prêt ? » « {check.title('fr')} »") for t in texts)
    template = app.content.templates["grille_evaluation_lumiere"]
    assert any(
        t.startswith(f"📅 Le modèle « {template.title('fr')} »")
        and "(content/awareness/resources/)" in t
        for t in texts
    )
    assert {item.kind for item in items} == set(review.KINDS)


def test_the_job_runs_on_monday_mornings() -> None:
    spec = next(spec for spec in JOBS if spec.id == "module-reviews")
    trigger = spec.trigger(PARIS)
    monday = trigger.get_next_fire_time(None, datetime(2027, 12, 1, 12, tzinfo=PARIS))
    assert monday == datetime(2027, 12, 6, 9, tzinfo=PARIS)
