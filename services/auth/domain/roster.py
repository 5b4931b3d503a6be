"""Roster import: CSV (UTF-8, UTF-8-BOM, GBK) or XLSX with English or Chinese headers, upserted by
(school_code, student_no), with a per-row error report; importing the same file again changes nothing."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from cc_kit.errors import ApiError
from cc_kit.outbox import record

from .. import events
from ..models import DEGREES, Outbox, RosterEntry
from .common import is_email, normalize_email, normalize_phone, now

# Accepted header names per column, compared after `_header_key` (case, spaces, "*" and notes in brackets ignored).
COLUMNS: dict[str, tuple[str, ...]] = {
    "school_code": ("school_code", "schoolcode", "学校代码", "院校代码", "学校编码", "学校编号"),
    "student_no": ("student_no", "studentno", "student_number", "学号"),
    "name": ("name", "姓名", "学生姓名"),
    "graduation_year": ("graduation_year", "graduationyear", "毕业年份", "毕业年度", "毕业届别", "届别", "毕业年"),
    "college": ("college", "学院", "院系", "所在学院"),
    "major": ("major", "专业", "专业名称"),
    "degree": ("degree", "学历", "学历层次", "培养层次"),
    "phone": ("phone", "mobile", "手机", "手机号", "手机号码", "联系电话"),
    "email": ("email", "e-mail", "mail", "邮箱", "电子邮箱", "电子邮件"),
    "id_number": ("id_number", "idnumber", "身份证号", "身份证号码", "身份证"),
    "gender": ("gender", "sex", "性别"),
}
REQUIRED = ("student_no", "name", "graduation_year", "college", "major", "degree")
OPTIONAL = ("phone", "email", "id_number", "gender")
DEGREE_ALIASES = {
    "专科": "专科", "大专": "专科", "高职": "专科", "associate": "专科", "college": "专科",
    "本科": "本科", "学士": "本科", "bachelor": "本科", "undergraduate": "本科",
    "硕士": "硕士", "研究生": "硕士", "硕士研究生": "硕士", "master": "硕士", "postgraduate": "硕士",
    "博士": "博士", "博士研究生": "博士", "doctor": "博士", "phd": "博士", "doctorate": "博士",
}
GENDER_ALIASES = {"男": "男", "m": "男", "male": "男", "1": "男", "女": "女", "f": "女", "female": "女", "2": "女"}
_STUDENT_NO = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")
_SCHOOL_CODE = re.compile(r"^[A-Za-z0-9]{1,20}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class RosterRow:
    row: int
    values: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.values["school_code"], self.values["student_no"]


@dataclass
class ParsedRoster:
    rows: list[RosterRow]
    errors: list[dict]
    columns: set[str]
    total_rows: int


def _header_key(raw) -> str:
    value = str(raw or "").replace("\ufeff", "").strip().lower()
    value = re.sub(r"[（(【\[].*?[)）】\]]", "", value)
    return re.sub(r"[\s*＊:：]", "", value)


_LOOKUP = {_header_key(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


def _cell(value) -> str:
    """A cell as text: Excel numbers lose their `.0`, everything is stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def valid_id_number(value: str) -> bool:
    """18-character 居民身份证号码 with its ISO 7064 MOD 11-2 check character (GB 11643)."""
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == value[17]


# --- reading the file ----------------------------------------------------------------------------
def _decode_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is the superset of GBK/GB2312 that Excel's "CSV" export on Chinese Windows produces.
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ApiError("无法识别文件编码，请使用 UTF-8 或 GBK 编码的 CSV (unknown text encoding)", status=422,
                       code="invalid_roster") from exc


def _csv_rows(data: bytes) -> list[list[str]]:
    content = _decode_text(data)
    if "\x00" in content:
        raise ApiError("文件不是文本格式的 CSV (not a text CSV file)", status=415, code="unsupported_media_type")
    sample = content[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else ",", delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(content), delimiter=delimiter)]
    except csv.Error as exc:
        raise ApiError(f"CSV 格式错误：{exc} (malformed CSV)", status=422, code="invalid_roster") from exc


def _xlsx_rows(data: bytes, max_rows: int) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise ApiError("无法读取 XLSX 文件，请检查文件是否损坏 (unreadable XLSX)", status=422,
                       code="invalid_roster") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append([_cell(v) for v in values])
            if len(rows) > max_rows + 1:
                break
        return rows
    finally:
        workbook.close()


def read_table(data: bytes, max_rows: int = 50_000) -> list[list[str]]:
    """The file's rows as lists of strings; the type is decided by content, never by the file name."""
    if not data or not data.strip():
        raise ApiError("文件为空 (empty file)", status=422, code="invalid_roster")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ApiError("不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV (legacy .xls is not supported)", status=415,
                       code="unsupported_media_type")
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile as exc:
            raise ApiError("无法读取 XLSX 文件 (damaged XLSX)", status=422, code="invalid_roster") from exc
        if "xl/workbook.xml" not in names:
            raise ApiError("仅支持 CSV 或 XLSX 文件 (only CSV or XLSX)", status=415, code="unsupported_media_type")
        return _xlsx_rows(data, max_rows)
    if data[:8].startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        raise ApiError("仅支持 CSV 或 XLSX 文件 (only CSV or XLSX)", status=415, code="unsupported_media_type")
    return _csv_rows(data)


# --- validating rows -----------------------------------------------------------------------------
def _validate(values: dict, default_school: str, allowed_school: str | None) -> tuple[dict, list[str]]:
    problems = []
    out: dict = {}
    school = values.get("school_code") or default_school
    if not _SCHOOL_CODE.match(school or ""):
        problems.append("学校代码无效 (invalid school_code)")
    elif allowed_school and school != allowed_school:
        problems.append(f"只能导入本校（{allowed_school}）的学生 (row belongs to another school: {school})")
    out["school_code"] = school
    student_no = values.get("student_no", "")
    if not student_no:
        problems.append("学号不能为空 (student_no required)")
    elif not _STUDENT_NO.match(student_no):
        problems.append("学号只能包含字母、数字、- 或 _，最长 32 位 (invalid student_no)")
    out["student_no"] = student_no
    name = re.sub(r"\s+", " ", values.get("name", ""))
    if not name:
        problems.append("姓名不能为空 (name required)")
    elif len(name) > 64:
        problems.append("姓名过长 (name too long)")
    out["name"] = name
    year_text = values.get("graduation_year", "")
    match = re.fullmatch(r"(\d{4})(?:\.0+)?\s*(?:届|年|年届)?", year_text)
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        problems.append(f"毕业年份无效：{year_text or '空'} (graduation_year must be a year like 2026)")
        out["graduation_year"] = None
    else:
        out["graduation_year"] = int(match.group(1))
    for column, label in (("college", "学院"), ("major", "专业")):
        value = values.get(column, "")
        if not value:
            problems.append(f"{label}不能为空 ({column} required)")
        elif len(value) > 100:
            problems.append(f"{label}过长 ({column} too long)")
        out[column] = value
    degree_text = values.get("degree", "")
    degree = DEGREE_ALIASES.get(degree_text.lower().replace(" ", ""))
    if degree is None:
        problems.append(f"学历无效：{degree_text or '空'}，应为 {'/'.join(DEGREES)} (invalid degree)")
    out["degree"] = degree
    if "phone" in values:
        phone = values["phone"]
        if phone:
            try:
                phone = normalize_phone(phone)
            except ApiError:
                problems.append(f"手机号格式不正确：{phone} (invalid mobile number)")
        out["phone"] = phone or None
    if "email" in values:
        email = values["email"]
        if email:
            if is_email(email):
                email = normalize_email(email)
            else:
                problems.append(f"邮箱格式不正确：{email} (invalid email)")
        out["email"] = email or None
    if "id_number" in values:
        id_number = values["id_number"].upper()
        if id_number and not valid_id_number(id_number):
            problems.append("身份证号无效（须为 18 位且校验位正确，请以文本格式保存） (invalid ID number)")
        out["id_number"] = id_number or None
    if "gender" in values:
        gender_text = values["gender"]
        gender = GENDER_ALIASES.get(gender_text.lower()) if gender_text else None
        if gender_text and gender is None:
            problems.append(f"性别无效：{gender_text}，应为 男/女 (invalid gender)")
        out["gender"] = gender
    return out, problems


def parse_roster(data: bytes, *, default_school: str, allowed_school: str | None = None,
                 max_rows: int = 50_000) -> ParsedRoster:
    """Read and validate a roster file. Row numbers are the spreadsheet's (the header is row 1)."""
    table = read_table(data, max_rows)
    header_index = next((i for i, row in enumerate(table) if any(cell for cell in row)), None)
    if header_index is None:
        raise ApiError("文件为空 (empty file)", status=422, code="invalid_roster")
    mapping: dict[int, str] = {}
    for position, raw in enumerate(table[header_index]):
        column = _LOOKUP.get(_header_key(raw))
        if column and column not in mapping.values():
            mapping[position] = column
    missing = [c for c in REQUIRED if c not in mapping.values()]
    if missing:
        names = "、".join(f"{COLUMNS[c][0]}/{next(a for a in COLUMNS[c] if not a.isascii())}" for c in missing)
        raise ApiError(f"缺少必需的列：{names} (missing columns)", status=422, code="invalid_roster",
                       missing_columns=missing)
    body = table[header_index + 1:]
    if len(body) > max_rows:
        raise ApiError(f"一次最多导入 {max_rows} 行 (too many rows)", status=413, code="too_large")
    rows, errors, seen = [], [], {}
    total = 0
    for offset, raw_row in enumerate(body):
        row_number = header_index + offset + 2
        if not any(cell for cell in raw_row):
            continue
        total += 1
        values = {column: (raw_row[pos] if pos < len(raw_row) else "") for pos, column in mapping.items()}
        clean, problems = _validate(values, default_school, allowed_school)
        if not problems:
            key = (clean["school_code"], clean["student_no"])
            if key in seen:
                problems.append(f"与第 {seen[key]} 行学号重复 (duplicate of row {seen[key]})")
            else:
                seen[key] = row_number
        if problems:
            errors.append({"row": row_number, "student_no": clean.get("student_no") or None,
                           "message": "；".join(problems)})
        else:
            rows.append(RosterRow(row_number, clean))
    return ParsedRoster(rows, errors, set(mapping.values()), total)


# --- storing -----------------------------------------------------------------------------------
_COMPARED = ("name", "graduation_year", "college", "major", "degree") + OPTIONAL


def upsert_roster(session: Session, parsed: ParsedRoster, *, imported_by: int | None) -> dict:
    """Insert new entries, update changed ones, leave equal ones alone; columns absent from the file are kept."""
    if session.get_bind().dialect.name == "postgresql":
        # Two admins importing at once would otherwise both insert the same new student.
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('auth.roster_import'))"))
    existing: dict[tuple[str, str], RosterEntry] = {}
    by_school: dict[str, list[str]] = {}
    for row in parsed.rows:
        by_school.setdefault(row.values["school_code"], []).append(row.values["student_no"])
    for school, numbers in by_school.items():
        for start in range(0, len(numbers), 500):
            chunk = numbers[start:start + 500]
            for entry in session.scalars(select(RosterEntry).where(
                    RosterEntry.school_code == school, RosterEntry.student_no.in_(chunk))):
                existing[(entry.school_code, entry.student_no)] = entry
    moment = now()
    inserts, updates, unchanged = [], [], 0
    present = [c for c in _COMPARED if c in parsed.columns]
    for row in parsed.rows:
        entry = existing.get(row.key)
        if entry is None:
            values = {c: row.values.get(c) for c in ("school_code", "student_no") + _COMPARED}
            inserts.append({**values, "imported_by": imported_by, "created_at": moment, "updated_at": moment})
            continue
        changes = {c: row.values.get(c) for c in present if getattr(entry, c) != row.values.get(c)}
        if changes:
            updates.append({"id": entry.id, **changes, "imported_by": imported_by, "updated_at": moment})
        else:
            unchanged += 1
    for start in range(0, len(inserts), 1000):
        session.execute(insert(RosterEntry), inserts[start:start + 1000])
    if updates:
        session.execute(update(RosterEntry), updates)
    result = {"created": len(inserts), "updated": len(updates), "unchanged": unchanged,
              "total_rows": parsed.total_rows, "errors": parsed.errors}
    if inserts or updates:
        record(session, Outbox, events.roster_imported, {
            "school_codes": sorted(by_school), "created": len(inserts), "updated": len(updates),
            "unchanged": unchanged, "error_rows": len(parsed.errors), "imported_by": imported_by,
            "imported_at": moment})
    return result
