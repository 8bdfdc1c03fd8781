"""The one place that lists the feature modules of ``handlers/``, in /aide order."""

from __future__ import annotations

from bot.conversation import Feature


def all_features() -> list[Feature]:
    from handlers import (
        answers,
        awareness,
        broadcast,
        club,
        diagnostic,
        language,
        linking,
        menu,
        onboarding,
        plan,
        privacy,
        programmes,
        readiness,
        resources,
        roles,
        slack_install,
        survey,
        veille,
        workshops,
    )

    return [
        onboarding.feature,
        menu.feature,
        diagnostic.feature,
        plan.feature,
        awareness.feature,
        programmes.feature,
        readiness.feature,
        resources.feature,
        workshops.feature,
        veille.feature,
        club.feature,
        survey.feature,
        language.feature,
        privacy.feature,
        linking.feature,
        roles.feature,
        slack_install.feature,
        broadcast.feature,
        answers.feature,
    ]
