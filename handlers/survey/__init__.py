"""/enquete: the partner indicator survey (issue 13, the HYDREOS model): a project's partner
organisations answer an indicator set twice a year, once per partner, on a five-point agreement
scale; results with trends, charts, XLSX and CSV.

``projects.py`` is the animators' side of a project (partners, respondents, calendar,
anonymity), ``respond.py`` the respondents' (joining with a code, filling in the partner's
response), ``waves.py`` opens, reminds and closes the waves, ``follow.py`` shows participation,
``reports.py`` the results and exports. Below them: ``questionnaire.py`` turns an indicator set
of ``content/surveys/`` into a questionnaire that the diagnostic's engine asks, ``scoring.py``
computes a wave's results and trends, ``charts.py`` draws them, ``exports.py`` writes the files.
Their queries are in the partner survey section of bot/storage/repositories.py.
"""

from __future__ import annotations

from bot.conversation import Command, Context, Feature
from bot.messages import Reply
from bot.storage import repositories as repo
from handlers.actions import Action, by_word, run_action
from handlers.survey import follow, projects, reports, respond, waves

_MODULES = (projects, waves, follow, reports, respond)


async def show_help(context: Context, args: object = ()) -> list[Reply]:
    key = "survey.help_animator" if context.has_role("animator") else "survey.help"
    return [context.say(key)]


ACTIONS: dict[str, Action] = by_word(
    [
        *(action for module in _MODULES for action in module.ACTIONS),
        Action(("aide", "help"), show_help, role=None),
    ]
)


async def survey(context: Context) -> list[Reply]:
    """The person's surveys (as a respondent, and the pôle's projects for its animators), an
    action (``/enquete suivi 3``), or a partner's code (``/enquete K7QW2ZPB``)."""
    args = context.incoming.args
    if len(args) == 1 and args[0].casefold() not in ACTIONS:
        joined = await respond.join(context, args[0])
        if joined is not None:
            return joined
    replies = await run_action(context, ACTIONS, args, "survey.usage")
    if replies is not None:
        return replies
    answering = await respond.overview(context)
    if context.has_role("animator"):
        mine = await repo.pole_survey_projects(context.session, pole_id=context.pole_id)
        listing = projects.listing(context, "survey.projects.title", mine)
        return [listing, *answering, context.say("survey.help_animator")]
    return answering or [context.say("survey.nothing")]


feature = Feature(
    commands=[
        Command(
            "enquete",
            survey,
            "help.enquete",
            starts_flow=respond.FLOW,
            aliases=("survey",),
            private_only=True,
        )
    ],
    flows=[flow for module in _MODULES for flow in module.FLOWS],
)
