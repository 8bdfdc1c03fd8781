"""The one place that lists the feature modules of ``handlers/``, in /aide order."""

from __future__ import annotations

from bot.conversation import Feature


def all_features() -> list[Feature]:
    from handlers import broadcast, language, linking, menu, onboarding, privacy, roles

    return [
        onboarding.feature,
        menu.feature,
        language.feature,
        privacy.feature,
        linking.feature,
        roles.feature,
        broadcast.feature,
    ]
