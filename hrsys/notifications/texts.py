"""The texts of notifications, Thai and English: one entry per kind, filled from plain parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "request_opened": {
        "th": ("มีคำขอรอการพิจารณา: {title}", "{requester} ขอให้ท่านพิจารณา: {title} กำหนดภายใน {due}"),
        "en": ("A request waits for you: {title}", "{requester} asks you to decide: {title}, due {due}"),
    },
    "request_decided": {
        "th": ("คำขอของท่านได้รับการพิจารณาแล้ว: {title}", "ผลการพิจารณา: {decision} {reason}"),
        "en": ("Your request was decided: {title}", "Decision: {decision} {reason}"),
    },
    "mail_digest": {  # the daily digest mail (hrsys/notifications/digest.py); {items}: one entry per notification
        "th": ("สรุปการแจ้งเตือนประจำวันที่ {day}", "การแจ้งเตือนของท่าน {count} รายการ ประจำวันที่ {day}\n\n{items}"),
        "en": ("Your notifications of {day}", "Your {count} notifications of {day}\n\n{items}"),
    },
}


def render(kind: str, language: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """Subject and body of ``kind`` in ``language`` (``th`` or ``en``); a missing parameter is left empty."""
    subject, body = TEXTS[kind]["en" if language == "en" else "th"]
    values = _Blank(params)
    return subject.format_map(values), body.format_map(values)


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""
