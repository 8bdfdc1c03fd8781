"""/programme: the programmes a pôle runs (content/awareness/programmes/: Cluster Bio's three
steps, a six-month accompaniment like Vegepolys'), a path through the awareness modules, the
diagnostic, the action plan and its follow-up, workshops, the label pages and a closing review,
each step due some time after the run's start.

``members.py`` is the members' side (the runs, enrolling, one's progress and next step,
sharing it with the animators or not, aiming at a label, leaving), ``review.py`` the closing
review, ``animators.py`` opening a run and following it (those who share, and the pôle's
figures under the anonymity rule), ``steps.py`` what makes each step done, read from the
features' own data, and ``reminders.py`` the job telling members their next step when it is
due. Their queries are in the programmes section of bot/storage/repositories.py.
"""

from __future__ import annotations

from bot.conversation import Command, Context, Feature, Flow
from bot.messages import Reply
from handlers.actions import Action, by_word, run_action
from handlers.programmes import animators, members, review


async def show_help(context: Context, args: object = ()) -> list[Reply]:
    key = "programmes.help_animator" if context.has_role("animator") else "programmes.help"
    return [context.say(key)]


ACTIONS = by_word(
    [
        *members.ACTIONS,
        *review.ACTIONS,
        *animators.ACTIONS,
        Action(("aide", "help"), show_help),
    ]
)


async def programme(context: Context) -> list[Reply]:
    """``/programme``: the pôle's runs and the member's progress in those they follow; an action
    (``/programme inscrire 3``, ``/programme suivi 3``) otherwise."""
    replies = await run_action(context, ACTIONS, context.incoming.args, "programmes.usage")
    if replies is not None:
        return replies
    return await members.overview(context)


feature = Feature(
    commands=[
        Command(
            "programme",
            programme,
            "help.programme",
            role="member",
            starts_flow=review.FLOW,
            aliases=("programmes", "program", "programs"),
            # One's progress, and the animators' view of those who share theirs: never in a group.
            private_only=True,
        )
    ],
    flows=[
        Flow(review.FLOW, "programmes.review.flow_title", "comment", review.STEPS, role="member")
    ],
)
