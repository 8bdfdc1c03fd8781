import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from io import BytesIO
from pathlib import Path

from PIL import Image

from handlers.diagnostic.charts import bars_png, evolution_png, radar_png

SUBJECTS = [
    "Gouvernance de l'organisation",
    "Droits de l'Homme",
    "Relations et conditions de travail",
    "L'environnement",
    "Loyauté des pratiques",
    "Questions relatives aux consommateurs",
    "Communautés et développement local",
]
SCORES = [72, 40, 55, 30, 65, 20, 45]
POLE_AVERAGE = [58, 47, 60, 42, 55, 35, 50]
DATES = [date(2024, 3, 12), date(2024, 9, 30), date(2025, 3, 12)]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[2]


def size_of(png: bytes) -> tuple[int, int]:
    """Width and height read from the IHDR chunk, which PNG requires first."""
    assert png[:8] == PNG_SIGNATURE
    length, kind, width, height = struct.unpack(">I4sII", png[8:24])
    assert (length, kind) == (13, b"IHDR")
    return width, height


def radar(**changes: object) -> bytes:
    arguments: dict = {
        "labels": SUBJECTS,
        "scores": SCORES,
        "title": "Autodiagnostic RSE — Biocoop Lyon",
        "series_label": "Biocoop Lyon",
    }
    return radar_png(**(arguments | changes))


def evolution(dates: list[date] = DATES, **series: list[float | None]) -> bytes:
    lines = series or {
        subject: [score - 10, score - 5, score]
        for subject, score in zip(SUBJECTS, SCORES, strict=True)
    }
    return evolution_png(dates, lines, title="Évolution des scores")


def bars(values: list[float] = SCORES, **changes: object) -> bytes:
    arguments: dict = {"title": "Score moyen par question centrale", "value_label": "Score"}
    return bars_png(SUBJECTS[: len(values)], values, **(arguments | changes))


def test_the_radar_is_a_900_pixel_square_png() -> None:
    assert size_of(radar()) == (900, 900)


def test_the_evolution_is_a_1000_by_600_png() -> None:
    assert size_of(evolution()) == (1000, 600)


def test_the_bars_are_a_1000_by_600_png() -> None:
    assert size_of(bars()) == (1000, 600)


def test_the_same_radar_gives_the_same_bytes() -> None:
    assert radar() == radar()


def test_the_same_evolution_gives_the_same_bytes() -> None:
    assert evolution() == evolution()


def test_the_same_bars_give_the_same_bytes() -> None:
    assert bars() == bars()


def test_the_png_carries_no_software_version() -> None:
    assert b"Software" not in radar()
    assert b"matplotlib" not in radar()


def test_a_radar_with_subjects_left_unanswered_differs_from_one_with_zeros() -> None:
    unanswered = radar(scores=[72, None, 55, 30, 65, None, 45])

    assert size_of(unanswered) == (900, 900)
    assert unanswered != radar(scores=[72, 0, 55, 30, 65, 0, 45])


def test_the_pole_average_adds_a_second_polygon() -> None:
    compared = radar(reference=POLE_AVERAGE, reference_label="Moyenne du pôle")

    assert size_of(compared) == (900, 900)
    assert compared != radar()


def test_a_pole_average_with_unanswered_subjects_is_drawn() -> None:
    average = [58, None, 60, 42, None, 35, 50]

    assert size_of(radar(reference=average, reference_label="Moyenne du pôle")) == (900, 900)


def reference_pixels(png: bytes) -> int:
    """Pixels of the reference's orange (#D55E00) in a chart."""
    data = Image.open(BytesIO(png)).convert("RGB").tobytes()
    pixels = zip(data[0::3], data[1::3], data[2::3], strict=True)
    return sum(1 for r, g, b in pixels if r > 190 and 60 < g < 130 and b < 50)


def test_a_hidden_pole_subject_is_drawn_neither_at_a_value_nor_at_zero() -> None:
    def pole(reference: list[float | None]) -> int:
        return reference_pixels(radar(reference=reference, reference_label="Moyenne du pôle"))

    hidden = pole([58, None, 60, 42, 55, 35, 50])

    # Its two segments are missing: less orange than with a value there, or with 0.
    assert hidden < pole([58, 47, 60, 42, 55, 35, 50])
    assert hidden < pole([58, 0, 60, 42, 55, 35, 50])


def test_very_long_labels_and_title_are_drawn() -> None:
    long_labels = [f"{subject} et encore bien d'autres choses à préciser" for subject in SUBJECTS]
    title = "Autodiagnostic de responsabilité sociétale " * 4

    assert size_of(radar(labels=long_labels, title=title)) == (900, 900)
    assert size_of(bars_png(long_labels, SCORES, title=title, value_label="Score")) == (1000, 600)


def test_an_evolution_over_a_single_date_is_drawn() -> None:
    assert size_of(evolution([date(2025, 3, 12)], Global=[52])) == (1000, 600)


def test_an_evolution_leaves_gaps_where_a_score_is_missing() -> None:
    with_gap = evolution(Environnement=[30, None, 45])

    assert size_of(with_gap) == (1000, 600)
    assert with_gap != evolution(Environnement=[30, 38, 45])


def test_an_evolution_over_twenty_dates_is_drawn() -> None:
    dates = [date(2020 + i // 12, 1 + i % 12, 15) for i in range(18)] + [
        date(2021, 7, 16),
        date(2021, 7, 17),
    ]
    series = {
        subject: [float((i * 7 + k) % 100) for i in range(20)] for k, subject in enumerate(SUBJECTS)
    }

    assert size_of(evolution_png(dates, series, title="Évolution")) == (1000, 600)


def test_bars_with_zero_values_are_drawn() -> None:
    assert size_of(bars([0, 0, 0], maximum=None)) == (1000, 600)


def test_bars_write_values_with_the_callers_format() -> None:
    decimal_comma = bars([54.5], format_value=lambda value: f"{value:.1f}".replace(".", ","))

    assert decimal_comma != bars([54.5])


def test_charts_drawn_in_parallel_threads_equal_charts_drawn_alone() -> None:
    alone = [radar(), evolution(), bars()]

    with ThreadPoolExecutor(max_workers=3) as pool:
        parallel = [pool.submit(draw) for draw in (radar, evolution, bars) for _ in range(2)]

    assert [future.result() for future in parallel] == [x for x in alone for _ in range(2)]


def test_importing_the_module_does_not_import_matplotlib() -> None:
    script = "import handlers.diagnostic.charts, sys; print('matplotlib' in sys.modules)"

    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )

    assert done.stdout.strip() == "False"


def test_drawing_never_imports_pyplot() -> None:
    script = "import handlers.diagnostic.charts as c, sys;"
    script += " c.bars_png(['a'], [1], title='t', value_label='v');"
    script += " print('matplotlib.pyplot' in sys.modules)"

    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )

    assert done.stdout.strip() == "False"
