"""PDF export of Chinese and English resumes (reportlab): headings, sections, a table for education.

Font: a CJK TrueType font from the system (Debian `fonts-wqy-microhei`) is embedded when present, so the
PDF renders in every viewer; otherwise reportlab's built-in CID font STSong-Light, which needs no file.
Both keep the text extractable. `RESUME_PDF_FONT` names another .ttf/.ttc file.
"""
from __future__ import annotations

import io
import os
import threading
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import HRFlowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .sections import DEGREE_LABELS_EN, FIELD_LABELS, GENDER_LABELS, SECTION_LABELS

CID_FONT = "STSong-Light"
TTF_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
_fonts: dict[str, str] = {}
_font_lock = threading.Lock()

ACCENT = colors.HexColor("#1f4e79")
MUTED = colors.HexColor("#555555")


def font_name(prefer_ttf: bool = True) -> str:
    """Register (once per process) and return the font to use: an embedded CJK TTF if one is installed."""
    key = "ttf" if prefer_ttf else "cid"
    with _font_lock:
        if key not in _fonts:
            _fonts[key] = _register(prefer_ttf)
        return _fonts[key]


def _register(prefer_ttf: bool) -> str:
    if prefer_ttf:
        configured = os.environ.get("RESUME_PDF_FONT")
        for path in ([configured] if configured else []) + list(TTF_CANDIDATES):
            if path and os.path.isfile(path):
                try:
                    pdfmetrics.registerFont(TTFont("ResumeCJK", path, subfontIndex=0))
                    return "ResumeCJK"
                except Exception:  # an unreadable or CFF-only font: try the next one
                    continue
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


class _Styles:
    def __init__(self, font: str):
        base = {"fontName": font, "wordWrap": "CJK"}  # CJK text may break between any two characters
        self.name = ParagraphStyle("name", fontSize=20, leading=26, textColor=ACCENT, **base)
        self.contact = ParagraphStyle("contact", fontSize=9.5, leading=14, textColor=MUTED, **base)
        self.heading = ParagraphStyle("heading", fontSize=12.5, leading=17, textColor=ACCENT, spaceBefore=9,
                                      **base)
        self.body = ParagraphStyle("body", fontSize=10, leading=15, **base)
        # The bullet from a standard PDF font: STSong-Light has no "•" glyph.
        self.item = ParagraphStyle("item", fontSize=10, leading=15, leftIndent=10, bulletIndent=1,
                                   bulletFontName="Helvetica", **base)
        self.strong = ParagraphStyle("strong", fontSize=10.5, leading=15, textColor=colors.black, **base)
        self.right = ParagraphStyle("right", fontSize=9.5, leading=15, textColor=MUTED, alignment=TA_RIGHT, **base)
        self.cell = ParagraphStyle("cell", fontSize=9.5, leading=13, **base)
        self.cell_head = ParagraphStyle("cell_head", fontSize=9.5, leading=13, textColor=colors.white, **base)


def _text(value) -> str:
    """User text as Paragraph markup: escaped (a `<` in a resume is text, not a tag), newlines kept."""
    return escape(str(value)).replace("\n", "<br/>")


def _period(item: dict, lang: str) -> str:
    start, end = item.get("start"), item.get("end")
    if not start and not end:
        return ""
    return f"{start or ''} ~ {end or FIELD_LABELS[lang]['present']}"


def render_resume_pdf(resume: dict, *, prefer_ttf: bool = True) -> bytes:
    """`resume`: kind (zh|en), title and the normalized sections. Returns the PDF document."""
    lang = "en" if resume["kind"] == "en" else "zh"
    labels, fields = SECTION_LABELS[lang], FIELD_LABELS[lang]
    font = font_name(prefer_ttf)
    st = _Styles(font)
    margin = 18 * mm
    width = A4[0] - 2 * margin - 12  # the frame keeps 6 pt of padding on each side
    story: list = []
    info = resume.get("basic_info") or {}

    story.append(Paragraph(_text(info.get("name") or resume.get("title") or ""), st.name))
    contact = []
    if info.get("gender"):
        contact.append(GENDER_LABELS[lang].get(info["gender"], info["gender"]))
    if info.get("birth_date"):
        contact.append(f"{fields['birth_date']} {info['birth_date']}")
    for key in ("phone", "email", "city"):
        if info.get(key):
            contact.append(f"{fields[key]} {info[key]}")
    if contact:
        story.append(Paragraph(_text("  |  ".join(contact)), st.contact))
    story.append(Spacer(1, 2 * mm))

    def heading(key: str) -> list:
        return [Paragraph(_text(labels[key]), st.heading),
                HRFlowable(width="100%", thickness=0.8, color=ACCENT, spaceBefore=1, spaceAfter=4)]

    intention = resume.get("job_intention") or {}
    rows = []
    for key in ("cities", "industries", "position_types"):
        if intention.get(key):
            rows.append((fields[key], (", " if lang == "en" else "、").join(intention[key])))
    low, high = intention.get("salary_min"), intention.get("salary_max")
    if low is not None or high is not None:
        span = f"{low if low is not None else ''} ~ {high if high is not None else ''}".strip(" ~")
        rows.append((fields["salary"], f"{span} {fields['salary_unit']}"))
    if rows:
        story += heading("job_intention")
        story.append(_label_table(rows, st, width))

    education = resume.get("education") or []
    if education:
        head = [fields["period"], fields["school"], fields["major"], fields["degree"]]
        data = [[Paragraph(_text(h), st.cell_head) for h in head]]
        for item in education:
            degree = DEGREE_LABELS_EN.get(item.get("degree"), item.get("degree")) if lang == "en" else item.get("degree")
            data.append([Paragraph(_text(v or ""), st.cell) for v in
                         (_period(item, lang), item.get("school"), item.get("major"), degree)])
        table = Table(data, colWidths=[width * 0.24, width * 0.32, width * 0.28, width * 0.16], repeatRows=1)
        table.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f6fa")]),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b7c7d9")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]))
        story += heading("education")
        story.append(table)

    for key, title_of, subtitle_of in (
        ("internships", lambda i: i.get("company"), lambda i: i.get("position")),
        ("projects", lambda i: i.get("name"), lambda i: i.get("role")),
    ):
        entries = resume.get(key) or []
        if not entries:
            continue
        story += heading(key)
        for item in entries:
            title = _text(title_of(item) or "")
            if subtitle_of(item):
                title += f"  <font color='#555555'>{_text(subtitle_of(item))}</font>"
            block = [Table([[Paragraph(title, st.strong), Paragraph(_text(_period(item, lang)), st.right)]],
                           colWidths=[width * 0.7, width * 0.3],
                           style=[("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                  ("VALIGN", (0, 0), (-1, -1), "TOP")])]
            if item.get("description"):
                block.append(Paragraph(_text(item["description"]), st.body))
            block.append(Spacer(1, 2 * mm))
            story.append(KeepTogether(block))

    if resume.get("skills"):
        story += heading("skills")
        story.append(Paragraph(_text((", " if lang == "en" else "、").join(resume["skills"])), st.body))
    for key in ("certificates", "awards"):
        if resume.get(key):
            story += heading(key)
            story += [Paragraph(_text(item), st.item, bulletText="•") for item in resume[key]]
    if resume.get("self_evaluation"):
        story += heading("self_evaluation")
        story.append(Paragraph(_text(resume["self_evaluation"]), st.body))

    page_label = "Page %d" if lang == "en" else "第 %d 页"

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(MUTED)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, page_label % doc.page)
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=resume.get("title") or "", author=info.get("name") or "",
                            subject="Resume" if lang == "en" else "个人简历", creator="Campus Careers")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _label_table(rows: list[tuple[str, str]], st: _Styles, width: float) -> Table:
    table = Table([[Paragraph(_text(k), st.cell), Paragraph(_text(v), st.cell)] for k, v in rows],
                  colWidths=[width * 0.22, width * 0.78])
    table.setStyle(TableStyle([
        ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]))
    return table
