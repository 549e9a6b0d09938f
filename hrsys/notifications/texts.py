"""The texts of notifications, Thai and English: one entry per kind, filled from plain parameters."""

from __future__ import annotations

import datetime as dt
import enum
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
    "request_overdue": {
        "th": (
            "คำขอเกินกำหนดส่งถึงท่าน: {title}",
            "คำขอ {title} ยังไม่ได้รับการพิจารณาตั้งแต่กำหนด {due} จึงส่งถึงท่านเพื่อพิจารณา",
        ),
        "en": ("An overdue request now waits for you: {title}", "{title} was due {due} and is still undecided."),
    },
    "appointment_active": {
        "th": ("การแต่งตั้งเข้าคณะทำงานมีผลแล้ว: {taskforce}", "ทุกฝ่ายให้ความยินยอมแล้ว การแต่งตั้งเข้าคณะทำงาน {taskforce} มีผล"),
        "en": (
            "Task-force appointment in effect: {taskforce}",
            "Everyone agreed: the appointment to {taskforce} is in effect.",
        ),
    },
    "appointment_released": {
        "th": (
            "ยกเลิกการแต่งตั้งเข้าคณะทำงาน: {taskforce}",
            "การแต่งตั้งเข้าคณะทำงาน {taskforce} ถูกยกเลิก: {reason_th} ไม่ต้องพิจารณาต่อ",
        ),
        "en": (
            "Task-force appointment released: {taskforce}",
            "The appointment to {taskforce} was released: {reason}. Nothing is left to decide.",
        ),
    },
}

LABELS: dict[str, tuple[str, str]] = {
    "approve": ("อนุมัติ", "approved"),
    "reject": ("ไม่อนุมัติ", "rejected"),
    "return_for_changes": ("ส่งกลับให้แก้ไข", "returned for changes"),
}
"""Parameter values shown in words: (Thai, English)."""

MONTHS_TH = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def shown(value: Any, language: str) -> Any:
    """A parameter as the recipient reads it: dates as ``24 พ.ย. 2569`` (Buddhist Era) or ``24 Nov 2026``,
    decisions in words; anything else as given."""
    th = language != "en"
    if isinstance(value, dt.date):
        months = MONTHS_TH if th else MONTHS_EN
        return f"{value.day} {months[value.month - 1]} {value.year + (543 if th else 0)}"
    key = value.value if isinstance(value, enum.Enum) else value
    if isinstance(key, str) and key in LABELS:
        return LABELS[key][0 if th else 1]
    return value


def render(kind: str, language: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """Subject and body of ``kind`` in ``language`` (``th`` or ``en``); a missing parameter is left empty."""
    subject, body = TEXTS[kind]["en" if language == "en" else "th"]
    values = _Blank({k: shown(v, language) for k, v in params.items()})
    return subject.format_map(values), body.format_map(values)


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""
