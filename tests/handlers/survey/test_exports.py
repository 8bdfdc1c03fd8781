import csv
import io

import pytest
from openpyxl import load_workbook

from content.loader import default_content
from handlers.survey.exports import file_name, results_csv, workbook_xlsx
from handlers.survey.reports import export_texts
from handlers.survey.scoring import IndicatorInfo, score_wave

# The labels as the chat gives them to a French reader.
_CONTENT = default_content()
FRENCH = export_texts(_CONTENT.texts("fr"), _CONTENT.surveys["hydreos"])
INDICATORS = [
    IndicatorInfo("gouv-1", "gouvernance", "projet"),
    IndicatorInfo("env-1", "environnement", "sphere"),
]
NAMES = {
    "gouv-1": "Les partenaires sont associés aux décisions importantes du projet",
    "gouvernance": "Gouvernance",
    "projet": "Projet",
    "sphere": "Sphère d'influence",
}
CHOICES = ["tout_a_fait"] * 3 + ["plutot"] * 2 + ["nsp", "plutot_pas", "pas_du_tout"]
MARCH = score_wave(
    {f"p{i}": {"gouv-1": choice} for i, choice in enumerate(CHOICES)},
    INDICATORS,
    invited=10,
    label="Mars 2025",
)
SEPTEMBER = score_wave(
    {f"p{i}": {"gouv-1": "plutot", "env-1": "nsp"} for i in range(6)},
    INDICATORS,
    invited=10,
    label="Septembre 2025",
)
HEADER = [
    "Indicateur",
    "Axe",
    "Niveau",
    "Tout à fait d'accord",
    "Plutôt d'accord",
    "Ne se prononce pas",
    "Plutôt pas d'accord",
    "Pas du tout d'accord",
    "Réponses",
    "Avis exprimés",
    "Top-2 box (%)",
    "Accord net (%)",
    "Non-réponse (%)",
]


def test_the_workbook_read_back() -> None:
    workbook = load_workbook(
        io.BytesIO(workbook_xlsx([MARCH, SEPTEMBER], INDICATORS, names=NAMES, texts=FRENCH))
    )
    assert workbook.sheetnames == [
        "Résultats Mars 2025",
        "Résultats Septembre 2025",
        "Tendances",
        "Indicateurs",
    ]
    march = list(workbook["Résultats Mars 2025"].iter_rows(values_only=True))
    assert list(march[0]) == HEADER
    row = march[1]
    assert row[:10] == ("gouv-1", "Gouvernance", "Projet", 3, 2, 1, 1, 1, 8, 7)
    # The exact values; the cell's format shows one decimal.
    assert row[10:12] == pytest.approx((500 / 7, 300 / 7))
    assert row[12] == 12.5
    assert workbook["Résultats Mars 2025"]["K2"].number_format == "0.0"
    blank = march[2]  # env-1: nobody answered it in March
    assert blank[8:] == (0, 0, None, None, None)
    assert march[-1][:2] == ("Taux de participation (%)", 80)
    pooled = [r for r in march if r[0] == "Ensemble"]
    assert [(r[1], r[2]) for r in pooled] == [
        ("Gouvernance", "Projet"),
        ("Gouvernance", None),
        ("environnement", "Sphère d'influence"),
        ("environnement", None),
    ]

    trends = list(workbook["Tendances"].iter_rows(values_only=True))
    assert trends[0][:5] == ("Indicateur", "Axe", "Niveau", "Vague précédente", "Vague")
    gouv = trends[1]
    assert gouv[:5] == ("gouv-1", "Gouvernance", "Projet", "Mars 2025", "Septembre 2025")
    assert gouv[5:8] == pytest.approx((500 / 7, 100, 100 - 500 / 7))
    assert trends[2][0] == "env-1" and trends[2][7] is None

    indicators = list(workbook["Indicateurs"].iter_rows(values_only=True))
    assert indicators == [
        ("Indicateur", "Affirmation", "Axe", "Niveau"),
        ("gouv-1", NAMES["gouv-1"], "Gouvernance", "Projet"),
        ("env-1", None, "environnement", "Sphère d'influence"),
    ]


def test_waves_with_one_label_get_distinct_sheets() -> None:
    workbook = load_workbook(io.BytesIO(workbook_xlsx([MARCH, MARCH], INDICATORS, texts=FRENCH)))
    assert workbook.sheetnames[:2] == ["Résultats Mars 2025", "Résultats Mars 2025 (2)"]


def test_the_csv_read_back() -> None:
    data = results_csv(MARCH, names=NAMES, texts=FRENCH)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == HEADER
    assert rows[1] == [
        "gouv-1",
        "Gouvernance",
        "Projet",
        "3",
        "2",
        "1",
        "1",
        "1",
        "8",
        "7",
        "71,43",
        "42,86",
        "12,50",
    ]
    assert rows[2][-3:] == ["", "", ""]


def test_file_names() -> None:
    assert file_name("Projet LUMIEAU-STRA", "Mars 2025", "xlsx") == (
        "enquete-projet-lumieau-stra-mars-2025.xlsx"
    )
    assert file_name("HYDREOS", None, "xlsx") == "enquete-hydreos.xlsx"
