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
    "mail_digest": {  # the daily digest mail (hrsys/notifications/digest.py); {items}: one entry per notification
        "th": ("สรุปการแจ้งเตือนประจำวันที่ {day}", "การแจ้งเตือนของท่าน {count} รายการ ประจำวันที่ {day}\n\n{items}"),
        "en": ("Your notifications of {day}", "Your {count} notifications of {day}\n\n{items}"),
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
