"""Demo data for `make run`: a small Chinese roster (school 10001), one student, one approved employer,
one college_admin and one counselor. Used by scripts/seed_demo.py (over HTTP when CAPTCHA_BYPASS_CODE is
set) and by `python -m services.auth.cli seed-demo` (directly against the auth database otherwise)."""
from __future__ import annotations

from sqlalchemy import select

from cc_kit.db import Database
from cc_kit.errors import ApiError

from .config import AuthConfig
from .domain import employers, roster, staff
from .domain.registration import create_student_account, find_roster_entry
from .models import Employer

SCHOOL_CODE = "10001"
CS, EM = "计算机科学与技术学院", "经济管理学院"

# school_code, student_no, name, graduation_year, college, major, degree, phone, email, gender
_STUDENTS = [
    ("2022010101", "张伟", CS, "计算机科学与技术", "本科", "男"),
    ("2022010102", "王芳", CS, "计算机科学与技术", "本科", "女"),
    ("2022010103", "李娜", CS, "计算机科学与技术", "本科", "女"),
    ("2022010104", "刘洋", CS, "软件工程", "本科", "男"),
    ("2022010105", "陈静", CS, "软件工程", "本科", "女"),
    ("2022010106", "杨磊", CS, "软件工程", "本科", "男"),
    ("2022010107", "赵敏", CS, "人工智能", "本科", "女"),
    ("2022010108", "黄强", CS, "人工智能", "本科", "男"),
    ("2024010201", "周婷", CS, "计算机技术", "硕士", "女"),
    ("2024010202", "吴昊", CS, "计算机技术", "硕士", "男"),
    ("2022020101", "徐丽", EM, "金融学", "本科", "女"),
    ("2022020102", "孙杰", EM, "金融学", "本科", "男"),
    ("2022020103", "马超", EM, "金融学", "本科", "男"),
    ("2022020104", "朱琳", EM, "市场营销", "本科", "女"),
    ("2022020105", "胡斌", EM, "市场营销", "本科", "男"),
    ("2022020106", "郭倩", EM, "会计学", "本科", "女"),
    ("2022020107", "何勇", EM, "会计学", "本科", "男"),
    ("2023020301", "高雪", EM, "工商管理", "专科", "女"),
    ("2024020201", "林峰", EM, "金融", "硕士", "男"),
    ("2024020202", "罗佳", EM, "金融", "硕士", "女"),
]


def roster_csv() -> str:
    """The demo roster as a Chinese-header CSV, exactly what a school would upload."""
    lines = ["学校代码,学号,姓名,毕业年份,学院,专业,学历,手机,邮箱,性别"]
    for index, (no, name, college, major, degree, gender) in enumerate(_STUDENTS, start=1):
        lines.append(f"{SCHOOL_CODE},{no},{name},2026,{college},{major},{degree},"
                     f"139{index:08d},s{no}@stu.campus.example,{gender}")
    return "\n".join(lines) + "\n"


DEMO_STUDENT = {"school_code": SCHOOL_CODE, "student_no": "2022010101", "name": "张伟", "graduation_year": 2026,
                "password": "Student#2026", "phone": "13800000001", "email": "zhangwei@stu.campus.example"}
DEMO_EMPLOYER = {"company_name": "星河科技（深圳）有限公司", "credit_code": "91440300MA5FXH2K0H",
                 "contact_name": "李经理", "email": "hr@xinghe-tech.example", "phone": "13900000002",
                 "password": "Employer#2026"}
DEMO_STAFF = [
    {"role": "college_admin", "email": "cs-admin@campus.example", "name": "王老师（计算机学院）",
     "password": "Teacher#2026", "college": CS, "phone": None},
    {"role": "counselor", "email": "counselor@campus.example", "name": "陈老师（就业咨询）",
     "password": "Advisor#2026", "college": None, "phone": None},
]


def demo_logins(config: AuthConfig) -> list[dict]:
    return [
        {"role": "school_admin", "username": config.bootstrap_admin_email, "password": config.bootstrap_admin_password},
        {"role": "student", "username": DEMO_STUDENT["student_no"], "school_code": SCHOOL_CODE,
         "password": DEMO_STUDENT["password"]},
        {"role": "employer", "username": DEMO_EMPLOYER["email"], "password": DEMO_EMPLOYER["password"]},
        *({"role": item["role"], "username": item["email"], "password": item["password"]} for item in DEMO_STAFF),
    ]


def _ignore(codes: tuple[str, ...], action):
    try:
        return action()
    except ApiError as exc:
        if exc.code in codes:
            return None
        raise


def seed_demo(db: Database, config: AuthConfig) -> dict:
    """Idempotent: every step skips what already exists."""
    admin_id, _ = staff.ensure_admin(db, email=config.bootstrap_admin_email, password=config.bootstrap_admin_password,
                                     name=config.bootstrap_admin_name, school_code=SCHOOL_CODE, only_if_none=False)
    parsed = roster.parse_roster(roster_csv().encode(), default_school=SCHOOL_CODE, allowed_school=SCHOOL_CODE)
    with db.write() as session:
        imported = roster.upsert_roster(session, parsed, imported_by=admin_id)
    with db.read() as session:
        entry_id = find_roster_entry(session, SCHOOL_CODE, DEMO_STUDENT["student_no"]).id
    _ignore(("already_registered", "email_taken"), lambda: create_student_account(
        db, entry_id, password=DEMO_STUDENT["password"], phone=DEMO_STUDENT["phone"], email=DEMO_STUDENT["email"]))
    _ignore(("employer_exists", "email_taken"), lambda: employers.register_employer(db, **DEMO_EMPLOYER))
    with db.write() as session:
        employer_id = session.scalar(select(Employer.id).where(Employer.credit_code == DEMO_EMPLOYER["credit_code"]))
        employers.approve_employer(session, employer_id, admin_id)
    for item in DEMO_STAFF:
        _ignore(("email_taken",), lambda item=item: staff.create_staff(db, school_code=SCHOOL_CODE,
                                                                        created_by=admin_id, **item))
    return {"roster": {k: imported[k] for k in ("created", "updated", "unchanged")}, "employer_id": employer_id}
