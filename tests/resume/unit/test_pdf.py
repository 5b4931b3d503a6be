"""PDF export: it opens, its Chinese text extracts, English resumes get English labels, input is text."""
import io

from pypdf import PdfReader

from services.resume.domain.pdf import CID_FONT, font_name, render_resume_pdf
from services.resume.domain.sections import normalize_content
from tests.resume.samples import full_sections


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def resume(kind="zh", **changes):
    sections = full_sections()
    sections.update(changes)
    return {"kind": kind, "title": "我的简历", **normalize_content(sections)}


def test_chinese_resume_with_the_builtin_cid_font_extracts():
    pdf = render_resume_pdf(resume(), prefer_ttf=False)
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    for expected in ("张三", "清华大学", "计算机科学与技术", "教育经历", "求职意向", "北京字节跳动科技有限公司",
                     "2022-09 ~ 2026-06"):
        assert expected in text
    assert font_name(prefer_ttf=False) == CID_FONT


def test_chinese_resume_with_the_system_font_extracts():
    """Uses the embedded TrueType font when one is installed (fonts-wqy-microhei), else the CID font."""
    text = text_of(render_resume_pdf(resume()))
    assert "张三" in text and "清华大学" in text and "专业技能" in text


def test_english_resume_has_english_labels():
    text = text_of(render_resume_pdf(resume("en")))
    for expected in ("Education", "Internships & Work Experience", "Skills", "Bachelor", "Male", "清华大学"):
        assert expected in text
    assert "教育经历" not in text


def test_user_text_is_not_markup():
    text = text_of(render_resume_pdf(resume(self_evaluation="<b>粗体</b> & <font size=90>大</font>")))
    assert "<b>粗体</b> & <font size=90>大</font>" in text


def test_ongoing_period_reads_present():
    sections = {"internships": [{"company": "腾讯", "position": "实习生", "start": "2025-07", "end": None}]}
    assert "2025-07 ~ 至今" in text_of(render_resume_pdf({"kind": "zh", "title": "t", **normalize_content(sections)}))


def test_long_resume_breaks_into_pages():
    long_text = "负责后端服务的设计与实现，" * 400
    pdf = render_resume_pdf(resume(self_evaluation=long_text))
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 2


def test_empty_resume_still_renders_its_title():
    text = text_of(render_resume_pdf({"kind": "zh", "title": "空白简历", **normalize_content({})}))
    assert "空白简历" in text
