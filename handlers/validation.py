"""Checks on what people type, shared by every flow that asks for free text."""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation import Context, Retry


@dataclass(frozen=True, slots=True)
class Cleaned:
    value: str


def clean_line(context: Context, raw: str, *, max_length: int) -> Cleaned | Retry:
    """A one-line answer with whitespace collapsed, or the reason it cannot be used."""
    value = " ".join("".join(ch for ch in raw if ch.isprintable() or ch.isspace()).split())
    if not value:
        return Retry(context.say("errors.empty_answer"))
    if len(value) > max_length:
        return Retry(context.say("errors.too_long", length=len(value), maximum=max_length))
    if not any(ch.isalnum() for ch in value):
        return Retry(context.say("errors.no_letters"))
    return Cleaned(value)
