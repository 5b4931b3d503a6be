"""The sections of a resume: their keys, Chinese/English labels, and the normalized empty shape."""
from __future__ import annotations

import copy

KINDS = ("zh", "en", "attachment")
KIND_LABELS = {"zh": "中文简历", "en": "英文简历", "attachment": "附件简历"}
DEFAULT_TITLES = {"zh": "我的中文简历", "en": "My English Resume", "attachment": "我的附件简历"}

# A student may keep this many resumes; enough for a few target industries in two languages.
MAX_RESUMES_PER_STUDENT = 10

SECTION_KEYS = ("basic_info", "education", "internships", "projects", "skills", "certificates", "awards",
                "self_evaluation", "job_intention")
# Sections an attachment resume carries besides its file (the file is the resume itself).
ATTACHMENT_SECTION_KEYS = ("basic_info", "job_intention")

SECTION_LABELS = {
    "zh": {
        "basic_info": "基本信息",
        "education": "教育经历",
        "internships": "实习/工作经历",
        "projects": "项目经历",
        "skills": "专业技能",
        "certificates": "证书",
        "awards": "获奖情况",
        "self_evaluation": "自我评价",
        "job_intention": "求职意向",
        "attachment": "附件简历文件",
    },
    "en": {
        "basic_info": "Basic Information",
        "education": "Education",
        "internships": "Internships & Work Experience",
        "projects": "Projects",
        "skills": "Skills",
        "certificates": "Certificates",
        "awards": "Awards",
        "self_evaluation": "Self-Evaluation",
        "job_intention": "Career Objective",
        "attachment": "Attachment",
    },
}

FIELD_LABELS = {
    "zh": {
        "name": "姓名", "gender": "性别", "birth_date": "出生日期", "phone": "手机号码", "email": "电子邮箱",
        "city": "所在城市", "cities": "期望城市", "industries": "期望行业", "position_types": "期望职位类别",
        "salary": "期望薪资", "school": "学校", "major": "专业", "degree": "学历", "period": "时间",
        "company": "单位", "position": "职位", "role": "角色", "present": "至今", "salary_unit": "元/月",
    },
    "en": {
        "name": "Name", "gender": "Gender", "birth_date": "Date of Birth", "phone": "Phone", "email": "Email",
        "city": "City", "cities": "Preferred Cities", "industries": "Industries", "position_types": "Position Types",
        "salary": "Expected Salary", "school": "School", "major": "Major", "degree": "Degree", "period": "Period",
        "company": "Company", "position": "Position", "role": "Role", "present": "Present",
        "salary_unit": "CNY/month",
    },
}

GENDERS = ("male", "female")
GENDER_LABELS = {"zh": {"male": "男", "female": "女"}, "en": {"male": "Male", "female": "Female"}}
DEGREES = ("专科", "本科", "硕士", "博士")
DEGREE_LABELS_EN = {"专科": "Associate", "本科": "Bachelor", "硕士": "Master", "博士": "PhD"}

BASIC_INFO_FIELDS = ("name", "gender", "birth_date", "phone", "email", "city")
JOB_INTENTION_FIELDS = ("cities", "industries", "position_types", "salary_min", "salary_max")

_EMPTY = {
    "basic_info": {key: None for key in BASIC_INFO_FIELDS},
    "education": [],
    "internships": [],
    "projects": [],
    "skills": [],
    "certificates": [],
    "awards": [],
    "self_evaluation": None,
    "job_intention": {"cities": [], "industries": [], "position_types": [], "salary_min": None, "salary_max": None},
}


def empty_content() -> dict:
    return copy.deepcopy(_EMPTY)


def normalize_content(sections: dict | None) -> dict:
    """Every section present, in one shape: what is stored, returned and frozen into snapshots."""
    content = empty_content()
    for key, value in (sections or {}).items():
        if key not in content or value is None:
            continue
        if key in ("basic_info", "job_intention"):
            content[key].update({k: v for k, v in value.items() if k in content[key]})
            for list_key in ("cities", "industries", "position_types"):
                if key == "job_intention" and content[key][list_key] is None:
                    content[key][list_key] = []
        else:
            content[key] = copy.deepcopy(value)
    return content


def merge_sections(current: dict, changes: dict) -> dict:
    """PATCH semantics: each top-level section given replaces the stored one; null clears it."""
    merged = normalize_content(current)
    for key, value in changes.items():
        merged[key] = copy.deepcopy(_EMPTY[key]) if value is None else copy.deepcopy(value)
    return normalize_content(merged)
