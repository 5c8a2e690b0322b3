"""The iJw messages (iJw 3.2) a case records: code → name and direction, in one table.

A user task with the property `ijwBericht` records its form as one of these messages; the
API takes them by code (POST /api/cases/<id>/ijw), the timeline names them.
"""

from __future__ import annotations

from typing import NamedTuple


class Message(NamedTuple):
    name: str
    direction: str


MESSAGES: dict[str, Message] = {
    "JW315": Message("Verzoek om toewijzing", "aanbieder → gemeente"),
    "JW316": Message("VOT retour", "gemeente → aanbieder"),
    "JW301": Message("Toewijzing jeugdhulp", "gemeente → aanbieder"),
    "JW319": Message("Antwoordbericht", "gemeente → aanbieder"),
    "JW305": Message("Start jeugdhulp", "aanbieder → gemeente"),
    "JW307": Message("Stop jeugdhulp", "aanbieder → gemeente"),
    "JW317": Message("Verzoek om wijziging", "aanbieder → gemeente"),
}

CODES = tuple(MESSAGES)
NAMES = {code: message.name for code, message in MESSAGES.items()}


def direction(code: str) -> str:
    message = MESSAGES.get(code)
    return message.direction if message else ""
