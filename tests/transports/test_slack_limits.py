"""Slack's limits, enforced by the fake Web API: nothing refused twice, nothing lost."""

import asyncio
import time

import pytest

from bot.app import App
from bot.messages import Platform, Reply, Text
from bot.storage import repositories as repo
from bot.transports.base import Unreachable
from bot.transports.slack import SlackLimits
from tests.helpers.chat import Chat
from tests.helpers.fake_slack import FakeSlack
from tests.transports.conftest import QUICK_RETRY, slack_transport

CHANNEL = "C0CLUBRSE"


def note(n: int) -> Reply:
    return Reply(Text.plain(f"Club RSE : ordre du jour n°{n}"))


def texts(fake: FakeSlack, channel: str) -> list[str]:
    return [m["text"] for m in fake.messages_in(channel)]


async def test_one_message_a_second_per_channel(app: App, fake_slack: FakeSlack) -> None:
    fake_slack.limit(per_channel_per_second=1)
    transport = slack_transport(app, fake_slack, limits=SlackLimits(retry=QUICK_RETRY))
    started = time.monotonic()
    await asyncio.gather(*(transport.send(CHANNEL, note(n)) for n in range(3)))
    assert time.monotonic() - started >= 1.9
    assert texts(fake_slack, CHANNEL) == [str(note(n).text) for n in range(3)]
    assert fake_slack.too_many_requests == 0


async def test_retry_after_is_honoured_and_the_message_posted_once(
    app: App, fake_slack: FakeSlack
) -> None:
    fake_slack.fail(CHANNEL, status=429, retry_after=1)
    transport = slack_transport(
        app, fake_slack, limits=SlackLimits(channel_interval=0, retry=QUICK_RETRY)
    )
    started = time.monotonic()
    await transport.send(CHANNEL, note(1))
    assert time.monotonic() - started >= 0.95
    assert texts(fake_slack, CHANNEL) == [str(note(1).text)]


async def test_server_errors_are_retried(app: App, fake_slack: FakeSlack) -> None:
    fake_slack.fail(CHANNEL, status=503, times=2)
    transport = slack_transport(app, fake_slack)
    await transport.send(CHANNEL, note(1))
    assert texts(fake_slack, CHANNEL) == [str(note(1).text)]


async def test_a_deactivated_member_is_marked_unreachable(app: App, fake_slack: FakeSlack) -> None:
    await Chat(app, Platform.SLACK, "U0CLAIRE").sign_up("Claire Martin")
    fake_slack.fail("DU0CLAIRE", error="account_inactive")
    transport = slack_transport(app, fake_slack)
    with pytest.raises(Unreachable):
        await transport.send("U0CLAIRE", note(1))
    person = await Chat(app, Platform.SLACK, "U0CLAIRE").person()
    assert person is not None
    async with app.database.transaction() as session:
        (identity,) = await repo.identities_of(session, person_id=person.id)
    assert identity.unreachable_reason is not None
    assert "account_inactive" in identity.unreachable_reason
