"""Thai and English for the web pages: strings, dates, numbers and baht (pure: no litestar, no sqlalchemy).

- Dates: Thai shows the Buddhist Era (BE = CE + 543, the civil calendar of Thailand
  since 1941) with Thai month names, e.g. ``24 พ.ย. 2569``; English shows the
  Christian Era, e.g. ``24 Nov 2026``.
- Numbers: both locales group thousands with a comma and use a point for decimals
  (as the Royal Thai government writes them); Thai uses Arabic digits, as official
  forms do today. Baht: ``฿1,234`` in English, ``1,234 บาท`` in Thai.
- Strings: :data:`STRINGS` maps a key to (English, Thai). A missing key shows the
  key itself (and a test checks that every key used by the templates exists).

Every function is O(length of its output).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

LANGS = ("th", "en")
DEFAULT_LANG = "th"
LANG_COOKIE = "hrsys_lang"

MONTHS_TH = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
BE_OFFSET = 543


def pick_lang(value: str | None) -> str:
    """A supported language from a cookie or query value (the default for anything else)."""
    return value if value in LANGS else DEFAULT_LANG


def format_date(day: dt.date | dt.datetime | None, lang: str) -> str:
    """``24 พ.ย. 2569`` (Buddhist Era) in Thai, ``24 Nov 2026`` in English; empty for None."""
    if day is None:
        return ""
    if lang == "th":
        return f"{day.day} {MONTHS_TH[day.month - 1]} {day.year + BE_OFFSET}"
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def format_number(value: float | int | None, lang: str, digits: int = 0) -> str:
    """Thousands grouped with commas, ``digits`` decimals; empty for None."""
    if value is None:
        return ""
    return f"{value:,.{digits}f}"


def format_baht(value: float | int | None, lang: str) -> str:
    """``1,234 บาท`` in Thai, ``฿1,234`` in English (whole baht, rounded half to even)."""
    if value is None:
        return ""
    amount = f"{round(value):,}"
    return f"{amount} บาท" if lang == "th" else f"฿{amount}"


def format_percent(value: float | None, lang: str) -> str:
    """A share 0..1 as a whole percent: ``75%``."""
    if value is None:
        return ""
    return f"{round(value * 100)}%"


STRINGS: dict[str, tuple[str, str]] = {
    "app_name": ("hrsys: digital workforce", "hrsys: กำลังคนดิจิทัล"),
    "skip": ("Skip to content", "ข้ามไปยังเนื้อหา"),
    "language": ("Language", "ภาษา"),
    "switch_lang": ("ภาษาไทย", "English"),
    "sign_in": ("Sign in", "เข้าสู่ระบบ"),
    "sign_out": ("Sign out", "ออกจากระบบ"),
    "username": ("User name", "ชื่อผู้ใช้"),
    "password": ("Password", "รหัสผ่าน"),
    "signed_in_as": ("Signed in as", "ผู้ใช้"),
    "bad_login": ("Wrong user name or password.", "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"),
    "locked": ("Too many failed sign-ins: try again in {minutes} minutes.",
               "เข้าสู่ระบบไม่สำเร็จหลายครั้งเกินไป โปรดลองอีกครั้งในอีก {minutes} นาที"),
    "fill_both": ("Enter your user name and password.", "โปรดกรอกชื่อผู้ใช้และรหัสผ่าน"),
    "my_page": ("My development", "การพัฒนาของฉัน"),
    "hr_dashboard": ("HR dashboard", "แดชบอร์ดงานบุคคล"),
    "people_search": ("People by skill", "ค้นหาบุคลากรตามทักษะ"),
    "upload": ("Upload a file", "นำเข้าไฟล์"),
    "task_forces": ("Task forces", "ทีมขับเคลื่อน"),
    "profile": ("My profile", "ข้อมูลของฉัน"),
    "agency": ("Agency", "หน่วยงาน"),
    "role": ("Role", "ตำแหน่งงาน"),
    "no_role": ("No role recorded", "ยังไม่ได้ระบุตำแหน่งงาน"),
    "position": ("Position", "ตำแหน่ง"),
    "skills": ("Skills", "ทักษะ"),
    "skill": ("Skill", "ทักษะ"),
    "level": ("Level", "ระดับ"),
    "source": ("Source", "ที่มา"),
    "assessed_on": ("Assessed on", "วันที่ประเมิน"),
    "valid_until": ("Valid until", "ใช้ได้ถึง"),
    "no_skills": ("No skills recorded yet.", "ยังไม่มีข้อมูลทักษะ"),
    "history": ("Assessment history", "ประวัติการประเมิน"),
    "target_role": ("Target role", "ตำแหน่งเป้าหมาย"),
    "choose_target": ("Show my gap for", "แสดงช่องว่างทักษะสำหรับ"),
    "show": ("Show", "แสดง"),
    "gap": ("My gap", "ช่องว่างทักษะ"),
    "readiness": ("Readiness", "ความพร้อม"),
    "have": ("Have", "มี"),
    "need": ("Need", "ต้องการ"),
    "essential": ("essential", "จำเป็น"),
    "desirable": ("desirable", "พึงมี"),
    "paths": ("Career paths", "เส้นทางความก้าวหน้า"),
    "no_path": ("No career path leads there from your role.", "ไม่มีเส้นทางจากตำแหน่งปัจจุบันไปยังตำแหน่งนี้"),
    "path_years": ("at least {years} years", "อย่างน้อย {years} ปี"),
    "training_plan": ("Training plan", "แผนการฝึกอบรม"),
    "course": ("Course", "หลักสูตร"),
    "hours": ("Hours", "ชั่วโมง"),
    "cost": ("Cost", "ค่าใช้จ่าย"),
    "total": ("Total", "รวม"),
    "no_courses": ("No course is needed or available.", "ไม่ต้องอบรมเพิ่ม หรือไม่มีหลักสูตรที่เหมาะสม"),
    "no_course_for": ("No course closes", "ไม่มีหลักสูตรสำหรับ"),
    "dev_plans": ("Development plans", "แผนพัฒนารายบุคคล"),
    "no_plans": ("No development plan yet.", "ยังไม่มีแผนพัฒนารายบุคคล"),
    "progress": ("Progress", "ความคืบหน้า"),
    "status": ("Status", "สถานะ"),
    "enrolments": ("Enrolments", "การลงทะเบียนอบรม"),
    "no_enrolments": ("No enrolments yet.", "ยังไม่มีการลงทะเบียน"),
    "self_assessment": ("Self-assessment", "ประเมินตนเอง"),
    "record": ("Record", "บันทึก"),
    "saved": ("Saved.", "บันทึกแล้ว"),
    "evidence": ("Evidence (optional)", "หลักฐาน (ไม่บังคับ)"),
    "no_person": ("Your user is not linked to a person record; ask an administrator.",
                  "บัญชีของคุณยังไม่ได้เชื่อมกับข้อมูลบุคลากร โปรดติดต่อผู้ดูแลระบบ"),
    "heat_map": ("Skill supply against demand", "อุปทานและอุปสงค์ทักษะ"),
    "heat_caption": ("People at the needed level / people whose role needs it, by skill area and agency.",
                     "จำนวนผู้มีทักษะถึงระดับ / จำนวนที่ตำแหน่งงานต้องการ แยกตามกลุ่มทักษะและหน่วยงาน"),
    "bench": ("Bench strength of critical roles", "ความพร้อมของผู้สืบทอดตำแหน่งสำคัญ"),
    "ready_now": ("Ready now", "พร้อมทันที"),
    "one_plan_away": ("One plan away", "พร้อมหลังอบรม"),
    "incumbents": ("Holders", "ผู้ดำรงตำแหน่ง"),
    "training_needs": ("Training needs", "ความต้องการการฝึกอบรม"),
    "people_short": ("People short", "จำนวนผู้ขาดทักษะ"),
    "secondments_action": ("Secondments that need action", "การยืมตัวที่ต้องดำเนินการ"),
    "nothing": ("Nothing to show.", "ไม่มีข้อมูล"),
    "kpis_behind": ("Task-force KPIs behind target", "ตัวชี้วัดของทีมที่ต่ำกว่าเป้า"),
    "kpi": ("KPI", "ตัวชี้วัด"),
    "target": ("Target", "เป้าหมาย"),
    "actual": ("Actual", "ผลจริง"),
    "expected": ("Expected by now", "ควรได้ ณ วันนี้"),
    "search": ("Search", "ค้นหา"),
    "min_level": ("Minimum level", "ระดับขั้นต่ำ"),
    "skill_code": ("Skill (code or name)", "ทักษะ (รหัสหรือชื่อ)"),
    "results": ("{n} people", "{n} คน"),
    "name": ("Name", "ชื่อ"),
    "file": ("File (CSV or XLSX)", "ไฟล์ (CSV หรือ XLSX)"),
    "kind": ("Kind", "ประเภท"),
    "kind_people": ("People", "บุคลากร"),
    "kind_assessments": ("Assessments", "ผลการประเมิน"),
    "partial": ("Write the good rows even if some are bad", "บันทึกแถวที่ถูกต้องแม้มีบางแถวผิด"),
    "dry_run": ("Check only, write nothing", "ตรวจสอบเท่านั้น ไม่บันทึก"),
    "import_ok": ("{written} rows written of {rows}.", "บันทึก {written} แถวจาก {rows} แถว"),
    "import_checked": ("Checked {rows} rows; nothing written (check only).",
                       "ตรวจสอบ {rows} แถว ยังไม่บันทึก"),
    "import_refused": ("Nothing was written: fix these rows and upload again.",
                       "ยังไม่ได้บันทึก โปรดแก้ไขแถวต่อไปนี้แล้วนำเข้าใหม่"),
    "line": ("Line", "บรรทัด"),
    "column": ("Column", "คอลัมน์"),
    "problem": ("Problem", "ปัญหา"),
    "needs": ("Needs and their coverage", "ความต้องการและการจัดคน"),
    "filled": ("Filled", "จัดแล้ว"),
    "headcount": ("Headcount", "จำนวนคน"),
    "allocation": ("Allocation", "สัดส่วนเวลา"),
    "propose": ("Propose a team", "เสนอทีม"),
    "proposal": ("Proposed team", "ทีมที่เสนอ"),
    "reason": ("Why", "เหตุผล"),
    "monthly_cost": ("Cost per month", "ค่าใช้จ่ายต่อเดือน"),
    "uncovered": ("Needs the team does not cover", "ความต้องการที่ยังไม่มีคน"),
    "suggestions": ("Suggestions", "ข้อเสนอแนะ"),
    "train": ("Train", "อบรม"),
    "second": ("Second an expert", "ยืมตัวผู้เชี่ยวชาญ"),
    "accept": ("Accept this team", "ยอมรับทีมนี้"),
    "accepted": ("The team was accepted: its members are below.", "ยอมรับทีมแล้ว รายชื่อสมาชิกอยู่ด้านล่าง"),
    "members": ("Members and allocation", "สมาชิกและสัดส่วนเวลา"),
    "no_members": ("No members yet.", "ยังไม่มีสมาชิก"),
    "kpis": ("KPIs: target against actual", "ตัวชี้วัด: เป้าหมายเทียบผลจริง"),
    "period": ("Period", "ระยะเวลา"),
    "budget": ("Budget", "งบประมาณ"),
    "lead": ("Lead", "หัวหน้าทีม"),
    "no_taskforces": ("You lead no task force.", "คุณยังไม่ได้เป็นหัวหน้าทีมใด"),
    "members_count": ("Members", "สมาชิก"),
    "error_title": ("Something went wrong", "เกิดข้อผิดพลาด"),
    "not_found": ("This page or record does not exist, or you may not see it.",
                  "ไม่พบหน้านี้หรือข้อมูลนี้ หรือคุณไม่มีสิทธิ์เข้าถึง"),
    "forbidden": ("Your role may not open this page.", "บทบาทของคุณไม่มีสิทธิ์เปิดหน้านี้"),
    "csrf": ("This form has expired or did not come from hrsys: open the page again and resend it.",
             "แบบฟอร์มนี้หมดอายุหรือไม่ได้มาจากระบบ โปรดเปิดหน้าใหม่แล้วส่งอีกครั้ง"),
    "server_error": ("The page could not be shown. Try again; if it happens again, "
                     "tell the help desk (reference {ref}).",
                     "ไม่สามารถแสดงหน้านี้ได้ โปรดลองอีกครั้ง หากยังเกิดขึ้นอีก โปรดแจ้งฝ่ายช่วยเหลือ (รหัสอ้างอิง {ref})"),
    "bad_input": ("Please correct the following:", "โปรดแก้ไขข้อมูลต่อไปนี้"),
    "conflict": ("This could not be done now:", "ไม่สามารถดำเนินการได้ในขณะนี้"),
    "back_home": ("Back to the start page", "กลับหน้าแรก"),
    "ending_soon": ("ending soon", "ใกล้สิ้นสุด"),
    "person": ("Person", "บุคคล"),
    "host": ("Host", "หน่วยงานรับ"),
    "ends_on": ("Ends on", "สิ้นสุด"),
    "choose_agency": ("Agency", "หน่วยงาน"),
    "figures_as_of": ("Figures as of", "ข้อมูล ณ"),
    "upload_help": ("Columns of the file (header row; any order)", "คอลัมน์ของไฟล์ (แถวแรกเป็นหัวตาราง เรียงลำดับใดก็ได้)"),
    "upload_people_help": ("a row whose citizen ID (else e-mail) is known updates that person; "
                           "dates may be Buddhist Era.",
                           "แถวที่เลขประจำตัวประชาชน (หรืออีเมล) มีอยู่แล้วจะปรับปรุงข้อมูลบุคคลนั้น วันที่เป็น พ.ศ. ได้"),
    "upload_assessments_help": ("each row adds an assessment; certifications need valid_until.",
                                "แต่ละแถวเพิ่มผลการประเมิน ใบรับรองต้องมี valid_until"),
    "prefer_internal": ("Prefer civil servants to outside experts", "ให้ความสำคัญกับข้าราชการก่อนผู้เชี่ยวชาญภายนอก"),
    "max_externals": ("At most this many outside experts (empty: no limit)",
                      "จำนวนผู้เชี่ยวชาญภายนอกสูงสุด (เว้นว่าง: ไม่จำกัด)"),
}  # fmt: skip


VALUES: dict[str, tuple[str, str]] = {
    # task forces and KPIs
    "forming": ("forming", "กำลังจัดตั้ง"), "active": ("active", "ดำเนินการ"), "closed": ("closed", "ปิดแล้ว"),
    "behind": ("behind", "ต่ำกว่าเป้า"), "on_track": ("on track", "ตามเป้า"), "met": ("met", "บรรลุแล้ว"),
    "overdue": ("overdue", "เกินกำหนด"), "no_data": ("no data", "ยังไม่มีข้อมูล"), "ended": ("ended", "สิ้นสุดแล้ว"),
    "pending": ("pending", "รอดำเนินการ"), "released": ("released", "ยกเลิกการแต่งตั้ง"),
    # enrolments and plans
    "planned": ("planned", "วางแผน"), "enrolled": ("enrolled", "ลงทะเบียนแล้ว"), "completed": ("completed", "สำเร็จ"),
    "failed": ("failed", "ไม่ผ่าน"), "withdrawn": ("withdrawn", "ถอนตัว"), "draft": ("draft", "ร่าง"),
    "submitted": ("submitted", "ส่งแล้ว"), "approved": ("approved", "อนุมัติแล้ว"),
    "in_progress": ("in progress", "กำลังดำเนินการ"), "done": ("done", "เสร็จสิ้น"), "cancelled": ("cancelled", "ยกเลิก"),
    "todo": ("to do", "ยังไม่เริ่ม"), "course": ("course", "หลักสูตร"), "mentoring": ("mentoring", "พี่เลี้ยง"),
    "on_the_job": ("on the job", "เรียนรู้จากงาน"), "secondment": ("secondment", "การยืมตัว"),
    # sources of assessments
    "self": ("self", "ประเมินตนเอง"), "manager": ("manager", "ผู้บังคับบัญชา"),
    "assessment_centre": ("assessment centre", "ศูนย์ประเมิน"), "certification": ("certification", "ใบรับรอง"),
    "training": ("training", "การฝึกอบรม"), "knowledge_transfer": ("knowledge transfer", "การถ่ายทอดความรู้"),
    "valid": ("valid", "ใช้ได้"), "expired": ("expired", "หมดอายุ"), "future": ("future", "อนาคต"),
    # secondment alerts
    "ending_soon": ("Ending soon", "ใกล้สิ้นสุด"),
    "past_end_still_active": ("Past their end, still active", "เลยกำหนดสิ้นสุดแต่ยังดำเนินการ"),
    "end_reports_overdue": ("End reports overdue", "รายงานสิ้นสุดเกินกำหนด"),
    "reviews_pending": ("Waiting for review", "รอการพิจารณา"),
    "start_overdue": ("Approved, not started", "อนุมัติแล้วแต่ยังไม่เริ่ม"),
}  # fmt: skip
"""Labels of enum values shown on pages (statuses, sources); an unknown value is shown as it is."""


def label(value: object, lang: str) -> str:
    """The label of an enum value (or its ``.value``) in ``lang``."""
    raw = str(getattr(value, "value", value))
    pair = VALUES.get(raw)
    if pair is None:
        return raw.replace("_", " ")
    return pair[1] if lang == "th" else pair[0]


def translate(key: str, lang: str, **values: object) -> str:
    """The string ``key`` in ``lang`` with ``{name}`` placeholders filled; the key itself if unknown."""
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "th" else pair[0]
    return text.format(**values) if values else text


def translator(lang: str) -> Callable[..., str]:
    """``t("key", n=3)`` bound to ``lang``, for templates."""

    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    return t


def pick(lang: str, en: str | None, th: str | None) -> str:
    """The Thai text in Thai when there is one, else the English."""
    return (th or en or "") if lang == "th" else (en or th or "")
