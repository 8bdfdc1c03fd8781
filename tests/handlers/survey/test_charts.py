import struct

import pytest

from content.loader import default_content
from handlers.survey.charts import diverging_png, diverging_size, trend_png
from handlers.survey.reports import chart_texts
from handlers.survey.scoring import IndicatorInfo, score_wave

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The labels as the chat gives them to a French reader.
_CONTENT = default_content()
FRENCH = chart_texts(_CONTENT.texts("fr"), _CONTENT.surveys["hydreos"])
INDICATORS = [
    IndicatorInfo("gouv-1", "gouvernance", "projet"),
    IndicatorInfo("gouv-2", "gouvernance", "sphere"),
    IndicatorInfo("gouv-3", "gouvernance", "sphere"),
    IndicatorInfo("env-1", "environnement", "projet"),
]
NAMES = {
    "gouv-1": "Les partenaires sont associés aux décisions importantes du projet",
    "gouvernance": "Gouvernance",
    "environnement": "Dimension environnementale",
}
CHOICES = ["tout_a_fait"] * 3 + ["plutot"] * 2 + ["nsp", "plutot_pas", "pas_du_tout"]
MARCH = score_wave(
    {
        f"p{i}": {"gouv-1": choice, "gouv-2": "nsp", "env-1": CHOICES[-1 - i]}
        for i, choice in enumerate(CHOICES)
    },
    INDICATORS,
    invited=8,
    label="Mars 2025",
)
SEPTEMBER = score_wave(
    {f"p{i}": {"gouv-1": "plutot", "gouv-2": "plutot_pas"} for i in range(6)},
    INDICATORS,
    invited=8,
    label="Septembre 2025",
)


def size_of(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    length, kind, width, height = struct.unpack(">I4sII", png[8:24])
    assert (length, kind) == (13, b"IHDR")
    return width, height


def test_a_diverging_chart_grows_with_its_axis_indicators() -> None:
    governance = diverging_png(MARCH, "gouvernance", title="Gouvernance", names=NAMES, texts=FRENCH)
    environment = diverging_png(MARCH, "environnement", title="Env.", names=NAMES, texts=FRENCH)
    # Three indicators on governance (one without any answer), one on the environment.
    assert size_of(governance) == diverging_size(3) == (1000, 430)
    assert size_of(environment) == diverging_size(1)


def test_the_diverging_chart_is_reproducible() -> None:
    first = diverging_png(MARCH, "gouvernance", title="Gouvernance", names=NAMES, texts=FRENCH)
    assert first == diverging_png(
        MARCH, "gouvernance", title="Gouvernance", names=NAMES, texts=FRENCH
    )


def test_an_unknown_axis_has_no_chart() -> None:
    with pytest.raises(ValueError):
        diverging_png(MARCH, "economie", title="Économie", texts=FRENCH)


@pytest.mark.parametrize("per", ["axis", "indicator"])
def test_the_trend_chart(per: str) -> None:
    png = trend_png(
        [MARCH, SEPTEMBER], title="Top-2 box par vague", per=per, names=NAMES, texts=FRENCH
    )
    assert size_of(png) == (1000, 600)
    with pytest.raises(ValueError):
        trend_png([], title="Rien", texts=FRENCH)
