"""Every template renders in Chinese, with the right details, and survives the trip into an .eml file."""
import email
import email.policy
import re

import pytest

from services.notify import templates
from services.notify.senders import OutgoingMessage, build_mail

BRIEF_TEMPLATES = {
    "registration_welcome": {"name"},
    "password_reset_code": {"name", "code", "minutes"},
    "phone_verification_code": {"code", "minutes"},
    "employer_approved": {"company_name"},
    "employer_registered": {"company_name"},
    "interview_invited": {"company", "position", "starts_at", "mode", "location", "room_url", "note"},
    "application_status_changed": {"position", "status"},
    "signing_invitation": {"company", "position"},
    "review_outcome": {"item", "decision", "note"},
    "appointment_reminder": {"counselor", "starts_at"},
    "generic": {"subject", "text"},
}
# Params shown as given (others are labels or times, formatted for the reader).
VERBATIM = {"name", "code", "company_name", "company", "position", "item", "note", "counselor", "text",
            "room_url"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_template_of_the_contract_exists_with_its_params():
    for name, params in BRIEF_TEMPLATES.items():
        assert set(templates.TEMPLATES[name].params) == params, name


@pytest.mark.parametrize("name", sorted(templates.TEMPLATES))
def test_every_template_renders_chinese_subject_mail_and_sms(name):
    template = templates.TEMPLATES[name]
    rendered = templates.render(name, template.example)
    assert CJK.search(rendered.subject) and CJK.search(rendered.text) and CJK.search(rendered.sms)
    assert rendered.sms.startswith("【校园就业】")
    assert "校园就业服务中心" in rendered.text
    for param, value in template.example.items():
        if param in VERBATIM:
            assert str(value) in rendered.text, (name, param)
    assert "{{" not in rendered.text + rendered.sms + rendered.subject


def test_codes_appear_in_the_message_and_the_template_is_marked_secret():
    rendered = templates.render("password_reset_code", {"name": "王小明", "code": "731904", "minutes": 10})
    assert "731904" in rendered.text and "731904" in rendered.sms and "10分钟" in rendered.sms
    assert "王小明" in rendered.text
    assert "731904" not in rendered.subject
    assert templates.TEMPLATES["password_reset_code"].secret
    assert templates.TEMPLATES["phone_verification_code"].secret
    assert not templates.TEMPLATES["interview_invited"].secret


def test_interview_time_is_shown_in_beijing_time_and_online_rooms_are_linked():
    rendered = templates.render("interview_invited", {
        "company": "深圳星河电子有限公司", "position": "嵌入式工程师", "starts_at": "2026-03-05T06:30:00Z",
        "mode": "online", "room_url": "https://meet.example.com/abc", "note": "请携带简历"})
    assert "2026年3月5日（周四）14:30" in rendered.text
    assert "线上面试" in rendered.text and "https://meet.example.com/abc" in rendered.text
    assert "请携带简历" in rendered.text
    assert rendered.subject == "面试邀请：深圳星河电子有限公司「嵌入式工程师」"


def test_onsite_interview_shows_the_place_and_tolerates_missing_optional_params():
    rendered = templates.render("interview_invited", {
        "company": "某公司", "position": "会计", "starts_at": "2026-04-01T09:00:00+08:00", "mode": "onsite",
        "location": "就业指导中心 302 室"})
    assert "现场面试" in rendered.text and "就业指导中心 302 室" in rendered.text
    assert "备注" not in rendered.text
    bare = templates.render("interview_invited", {"company": "某公司", "position": "会计",
                                                  "starts_at": "2026-04-01T09:00:00+08:00", "mode": "onsite"})
    assert "请等待单位通知" in bare.text


def test_labels_of_codes_are_translated():
    assert "退回修改" in templates.render("review_outcome", {"item": "推荐表", "decision": "return"}).subject
    approved = templates.render("review_outcome", {"item": "推荐表", "decision": "approve", "note": None})
    assert "通过" in approved.subject and "重新提交" not in approved.text
    assert "已被查看" in templates.render("application_status_changed",
                                          {"position": "测试工程师", "status": "viewed"}).text
    assert "某个新状态" in templates.render("application_status_changed",
                                            {"position": "测试工程师", "status": "某个新状态"}).text


def test_missing_or_unknown_templates_are_refused():
    with pytest.raises(templates.TemplateError, match="code"):
        templates.render("password_reset_code", {"name": "张三", "minutes": 10})
    with pytest.raises(templates.TemplateError, match="unknown template"):
        templates.render("no_such_template", {})


def test_catalog_lists_every_template_with_an_example():
    names = [t["name"] for t in templates.catalog()]
    assert set(BRIEF_TEMPLATES) <= set(names)
    assert all(t["example"]["subject"] for t in templates.catalog())


def test_mail_is_rfc5322_with_chinese_subject_and_utf8_body():
    message = OutgoingMessage(notification_id=42, channel="email", recipient="zhang.san@campus.example",
                              subject="面试邀请：某公司「会计」", body="您好：\n\n欢迎参加面试。")
    raw = build_mail(message, "校园就业服务 <noreply@campus-careers.local>").as_bytes()
    assert raw.isascii() or b"charset=\"utf-8\"" in raw
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "面试邀请：某公司「会计」"
    assert parsed["To"] == "zhang.san@campus.example"
    assert parsed["From"].addresses[0].display_name == "校园就业服务"
    assert parsed["X-Notification-ID"] == "42"
    assert parsed.get_content().strip() == "您好：\n\n欢迎参加面试。"
