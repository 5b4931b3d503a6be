"""Completeness of a resume, 0–100: a fixed weighting of its sections (the table below is the documentation).

Chinese and English resumes (sum 100):

| section | points | counts when |
|---|---|---|
| basic_info | 20 | name 5, phone 4, email 4, city 3, gender 2, birth_date 2 (each field filled) |
| education | 20 | at least one entry |
| internships | 15 | at least one entry |
| projects | 10 | at least one entry |
| skills | 10 | at least one skill |
| job_intention | 10 | cities 3, position_types 3, industries 2, salary 2 (salary_min or salary_max) |
| certificates | 5 | at least one |
| awards | 5 | at least one |
| self_evaluation | 5 | not empty |

Attachment resumes (sum 100): the uploaded file 70 (so the file alone reaches the 60 needed to apply),
basic_info 15 (name 5, phone 5, email 5), job_intention 15 (cities 5, position_types 5, industries 3, salary 2).

Online application needs the default resume at DELIVERY_THRESHOLD or more (jobs enforces it with
`get_delivery_snapshot`); `missing` says, per section, what would raise the score.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .sections import FIELD_LABELS, SECTION_LABELS

DELIVERY_THRESHOLD = 60

# (section, part, points); part None = the section as a whole.
_SECTIONED = (
    ("basic_info", "name", 5), ("basic_info", "phone", 4), ("basic_info", "email", 4),
    ("basic_info", "city", 3), ("basic_info", "gender", 2), ("basic_info", "birth_date", 2),
    ("education", None, 20),
    ("internships", None, 15),
    ("projects", None, 10),
    ("skills", None, 10),
    ("job_intention", "cities", 3), ("job_intention", "position_types", 3),
    ("job_intention", "industries", 2), ("job_intention", "salary", 2),
    ("certificates", None, 5),
    ("awards", None, 5),
    ("self_evaluation", None, 5),
)
_ATTACHMENT = (
    ("attachment", None, 70),
    ("basic_info", "name", 5), ("basic_info", "phone", 5), ("basic_info", "email", 5),
    ("job_intention", "cities", 5), ("job_intention", "position_types", 5),
    ("job_intention", "industries", 3), ("job_intention", "salary", 2),
)
WEIGHTS = {"zh": _SECTIONED, "en": _SECTIONED, "attachment": _ATTACHMENT}

# What a student reads when a whole section is missing.
_SECTION_HINTS = {
    "education": "请至少添加一段教育经历",
    "internships": "请至少添加一段实习或工作经历",
    "projects": "请至少添加一个项目经历",
    "skills": "请至少填写一项专业技能",
    "certificates": "请至少填写一个证书",
    "awards": "请至少填写一项获奖情况",
    "self_evaluation": "请填写自我评价",
    "attachment": "请上传附件简历文件（PDF、DOC 或 DOCX）",
}


@dataclass(frozen=True)
class MissingItem:
    section: str
    label: str
    points: int
    fields: tuple[str, ...] = ()
    hint: str = ""

    def to_dict(self) -> dict:
        return {"section": self.section, "label": self.label, "points": self.points, "fields": list(self.fields),
                "hint": self.hint}


@dataclass(frozen=True)
class Completeness:
    score: int
    missing: list[MissingItem] = field(default_factory=list)

    @property
    def deliverable(self) -> bool:
        return self.score >= DELIVERY_THRESHOLD

    @property
    def missing_sections(self) -> list[str]:
        return [item.section for item in self.missing]

    def message(self) -> str:
        """One sentence for the student, e.g. "简历完整度 45%，还需完善：教育经历、专业技能"."""
        if not self.missing:
            return f"简历完整度 {self.score}%，已全部完善"
        labels = "、".join(item.label for item in self.missing)
        return f"简历完整度 {self.score}%，还需完善：{labels}"

    def to_dict(self) -> dict:
        return {
            "score": self.score,
            "threshold": DELIVERY_THRESHOLD,
            "deliverable": self.deliverable,
            "missing": self.missing_sections,
            "missing_items": [item.to_dict() for item in self.missing],
            "message": self.message(),
        }


def _filled(value) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple, dict)):
        return len(value) > 0
    return True


def _part_filled(content: dict, section: str, part: str | None, has_attachment: bool) -> bool:
    if section == "attachment":
        return has_attachment
    value = content.get(section)
    if part is None:
        return _filled(value)
    value = value or {}
    if part == "salary":
        return value.get("salary_min") is not None or value.get("salary_max") is not None
    return _filled(value.get(part))


def compute(kind: str, content: dict, *, has_attachment: bool = False) -> Completeness:
    """Score `content` (normalized sections) of a resume of `kind` by WEIGHTS[kind]."""
    labels, field_labels = SECTION_LABELS["zh"], FIELD_LABELS["zh"]
    score = 0
    lost: dict[str, list] = {}  # section → [points lost, missing parts]; dicts keep the table's order
    for section, part, points in WEIGHTS[kind]:
        if _part_filled(content, section, part, has_attachment):
            score += points
            continue
        entry = lost.setdefault(section, [0, []])
        entry[0] += points
        if part is not None:
            entry[1].append(part)
    missing = []
    for section, (points, parts) in lost.items():
        if parts:
            hint = "请填写：" + "、".join(field_labels[p] for p in parts)
        else:
            hint = _SECTION_HINTS[section]
        missing.append(MissingItem(section, labels[section], points, tuple(parts), hint))
    return Completeness(score, missing)


def weights_table() -> str:
    """The weighting as markdown, for the OpenAPI description (generated, so it cannot drift)."""
    lines = []
    for title, kinds in (("中文/英文简历 (zh, en)", "zh"), ("附件简历 (attachment)", "attachment")):
        lines += [f"**{title}**", "", "| 部分 section | 分值 points | 计分条件 |", "|---|---|---|"]
        totals: dict[str, list] = {}
        for section, part, points in WEIGHTS[kinds]:
            entry = totals.setdefault(section, [0, []])
            entry[0] += points
            if part is not None:
                entry[1].append(f"{FIELD_LABELS['zh'][part]} {points}")
        for section, (points, parts) in totals.items():
            rule = "、".join(parts) if parts else _SECTION_HINTS[section].removeprefix("请")
            lines.append(f"| {SECTION_LABELS['zh'][section]} `{section}` | {points} | {rule} |")
        lines.append("")
    lines.append(f"在线投递要求默认简历完整度 ≥ {DELIVERY_THRESHOLD}。")
    return "\n".join(lines)
