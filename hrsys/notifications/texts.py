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


def render(kind: str, language: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """Subject and body of ``kind`` in ``language`` (``th`` or ``en``); a missing parameter is left empty."""
    subject, body = TEXTS[kind]["en" if language == "en" else "th"]
    values = _Blank(params)
    return subject.format_map(values), body.format_map(values)


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""
