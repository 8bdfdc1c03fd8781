"""Links in our Text (a watch item's title leading to its article), on every platform."""

from bot.messages import Span, Text
from bot.transports import console, slack, telegram

ITEM = "[Le « Pacte vert » & les PME](https://www.example.org/pacte-vert?id=3&p=2)"


def test_a_link_is_parsed_into_a_span_with_its_address() -> None:
    parsed = Text.parse(f"**Climat** : {ITEM}")

    assert parsed.spans == (
        Span("Climat", bold=True),
        Span(" : "),
        Span("Le « Pacte vert » & les PME", link="https://www.example.org/pacte-vert?id=3&p=2"),
    )


def test_square_brackets_without_an_address_stay_text() -> None:
    assert str(Text.parse("[brouillon] (à relire)")) == "[brouillon] (à relire)"


def test_telegram_shows_an_html_link_with_escaped_text_and_address() -> None:
    assert telegram.render(Text.parse(ITEM)) == (
        '<a href="https://www.example.org/pacte-vert?id=3&amp;p=2">'
        "Le « Pacte vert » &amp; les PME</a>"
    )


def test_slack_shows_its_link_syntax() -> None:
    assert slack.render(Text.parse(ITEM)) == (
        "<https://www.example.org/pacte-vert?id=3&amp;p=2|Le « Pacte vert » &amp; les PME>"
    )


def test_the_console_shows_the_address_after_the_text() -> None:
    assert console.render(Text.parse(ITEM)) == (
        "Le « Pacte vert » & les PME (https://www.example.org/pacte-vert?id=3&p=2)"
    )


def test_a_link_cut_in_two_keeps_its_address_on_both_pieces() -> None:
    first, second = Text.link("Économie circulaire", "https://example.org/ec").cut(10)

    assert (first.spans[0].link, second.spans[0].link) == ("https://example.org/ec",) * 2
