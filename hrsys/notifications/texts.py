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
    # Daily reminders (hrsys.notifications.reminders); dates arrive written for the language (BE in Thai).
    "reminder_cert_expiry_60": {
        "th": ("ใบรับรองจะหมดอายุใน 60 วัน: {skill_th}", "ใบรับรอง {skill_th} ของ {person_th} จะหมดอายุวันที่ {valid_until}"),
        "en": (
            "A certification expires within 60 days: {skill_en}",
            "{person_en}'s {skill_en} certification expires on {valid_until}",
        ),
    },
    "reminder_cert_expiry_30": {
        "th": ("ใบรับรองจะหมดอายุใน 30 วัน: {skill_th}", "ใบรับรอง {skill_th} ของ {person_th} จะหมดอายุวันที่ {valid_until}"),
        "en": (
            "A certification expires within 30 days: {skill_en}",
            "{person_en}'s {skill_en} certification expires on {valid_until}",
        ),
    },
    "reminder_secondment_ending": {
        "th": ("การยืมตัวจะสิ้นสุดภายใน 30 วัน: {person_th}", "การยืมตัวของ {person_th} ที่ {host_th} จะสิ้นสุดวันที่ {ends_on}"),
        "en": (
            "A secondment ends within 30 days: {person_en}",
            "{person_en}'s secondment to {host_en} ends on {ends_on}",
        ),
    },
    "reminder_end_report_overdue": {
        "th": (
            "รายงานสิ้นสุดการยืมตัวเลยกำหนด: {person_th}",
            "รายงานสิ้นสุดการยืมตัวของ {person_th} ที่ {host_th} ครบกำหนดวันที่ {due_on}",
        ),
        "en": (
            "A secondment end report is overdue: {person_en}",
            "The end report of {person_en}'s secondment to {host_en} was due on {due_on}",
        ),
    },
    "reminder_plan_item_overdue": {
        "th": ("รายการในแผนพัฒนาเลยกำหนด: {item}", "{item} ในแผนพัฒนาของท่านครบกำหนดวันที่ {due_on}"),
        "en": ("A development plan item is overdue: {item}", "{item} in your development plan was due on {due_on}"),
    },
    "reminder_kpi_actual_due": {
        "th": ("ถึงกำหนดบันทึกผลตัวชี้วัด: {kpi_th}", "โปรดบันทึกผลตัวชี้วัด {kpi_th} ของ {taskforce_th} ภายในวันที่ {due_on}"),
        "en": (
            "A KPI actual is due: {kpi_en}",
            "Please record the actual value of {kpi_en} of {taskforce_en} by {due_on}",
        ),
    },
    "reminder_request_overdue": {
        "th": ("คำขอเลยกำหนดพิจารณา: {title}", "คำขอ {title} ครบกำหนดพิจารณาวันที่ {due_on} และยังรอท่านพิจารณา"),
        "en": ("A request is overdue: {title}", "{title} was due for a decision on {due_on} and still waits for you"),
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
