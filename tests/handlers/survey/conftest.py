"""The people of the partner survey's tests: the pôle's animator and a project's partners."""

import pytest

from bot.app import App
from bot.messages import Platform
from tests.helpers.chat import Chat
from tests.helpers.survey import add_partner, create_project, sign_up_respondent


@pytest.fixture
async def claire(app: App) -> Chat:
    """The pôle's animator, who follows the project."""
    claire = Chat(app, Platform.TELEGRAM, "7391846031")
    await claire.sign_up("Claire Roux", "Pôle HYDREOS")
    await claire.grant("animator")
    return claire


@pytest.fixture
async def project(app: App, claire: Chat) -> dict[str, list[Chat] | int]:
    """LUMIEAU-STRA with three partners: two respondents at the Eurométropole, one each at
    the Agence de l'eau and the INRAE."""
    number = await create_project(claire)
    euro = await add_partner(claire, number, "Eurométropole de Strasbourg")
    agence = await add_partner(claire, number, "Agence de l'eau Rhin-Meuse")
    inrae = await add_partner(claire, number, "INRAE Grand Est")
    return {
        "number": number,
        "euro": [
            await sign_up_respondent(app, "7391846040", "Elsa Kern", "Eurométropole", euro),
            await sign_up_respondent(app, "7391846041", "Marc Weber", "Eurométropole", euro),
        ],
        "agence": [await sign_up_respondent(app, "7391846042", "Lina Roth", "Agence", agence)],
        "inrae": [await sign_up_respondent(app, "7391846043", "Paul Fuchs", "INRAE", inrae)],
    }
