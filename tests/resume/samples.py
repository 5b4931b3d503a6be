"""Resume bodies and files the resume tests share (the files are built here, not shipped)."""
from __future__ import annotations

import copy
import io
import zipfile

FULL_SECTIONS = {
    "basic_info": {"name": "张三", "gender": "male", "birth_date": "2003-05-01", "phone": "13800138000",
                   "email": "zhangsan@example.cn", "city": "北京"},
    "education": [
        {"school": "清华大学", "major": "计算机科学与技术", "degree": "本科", "start": "2022-09", "end": "2026-06"},
    ],
    "internships": [
        {"company": "北京字节跳动科技有限公司", "position": "后端开发实习生", "start": "2025-07", "end": "2025-09",
         "description": "负责推荐接口开发，\n把 P95 延迟从 120ms 降到 70ms。"},
    ],
    "projects": [
        {"name": "校园就业平台", "role": "组长", "start": "2024-03", "end": "2024-12",
         "description": "Flask + PostgreSQL + RabbitMQ 的微服务 <后端> & 部署。"},
    ],
    "skills": ["Python", "SQL", "Linux"],
    "certificates": ["大学英语六级 (CET-6)"],
    "awards": ["国家奖学金（2024）"],
    "self_evaluation": "认真负责，善于沟通，热爱后端开发。",
    "job_intention": {"cities": ["北京", "上海"], "industries": ["互联网"], "position_types": ["后端开发"],
                      "salary_min": 15000, "salary_max": 25000},
}


def full_sections() -> dict:
    return copy.deepcopy(FULL_SECTIONS)


def pdf_file() -> bytes:
    """A small real PDF, byte-identical on every call."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=1)  # the same bytes every time
    pdf.drawString(72, 720, "Attachment resume")
    pdf.save()
    return buffer.getvalue()


def docx_file() -> bytes:
    """The smallest zip Word recognises as a .docx for our purposes: it holds word/document.xml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def doc_file() -> bytes:
    """A Word 97–2003 file starts with the OLE2 compound-file signature."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024


def exe_file() -> bytes:
    """A Windows executable (MZ header), to be uploaded under a .pdf name."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 2048


def zip_file() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("virus.txt", "not a resume")
    return buffer.getvalue()
