"""Every message notify can send: Chinese subject, mail text and SMS text per template, rendered with Jinja2.

Callers name a template and pass its params (cc_kit.notifications.request_notification); the
wording, the time zone of the dates and the labels of codes (interview mode, decision, status)
live here only. A `secret` template carries a one-time code: its text is never put in an event,
it is delivered whatever the preferences say and at any hour.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import jinja2

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
SMS_SIGNATURE = "【校园就业】"
MAIL_FOOTER = "\n\n——\n校园就业服务中心\n（本邮件由系统自动发送，请勿直接回复）\n"
WEEKDAYS = "一二三四五六日"

INTERVIEW_MODES = {"onsite": "现场面试", "offline": "现场面试", "online": "线上面试", "video": "线上面试",
                   "phone": "电话面试"}
DECISIONS = {"approve": "通过", "approved": "通过", "pass": "通过", "return": "退回修改", "returned": "退回修改",
             "reject": "未通过", "rejected": "未通过", "agree": "同意", "agreed": "同意", "disagree": "不同意"}
RETURNED = {"return", "returned", "reject", "rejected"}
APPLICATION_STATUSES = {"submitted": "已投递", "delivered": "已投递", "viewed": "已被查看",
                        "interview": "邀请面试", "interviewing": "邀请面试", "invited": "邀请面试",
                        "offer": "已录用", "offered": "已录用", "hired": "已录用", "accepted": "已录用",
                        "rejected": "不合适", "declined": "不合适", "withdrawn": "已撤回", "closed": "已结束"}


class TemplateError(ValueError):
    """The command cannot be rendered: unknown template or missing params. Retrying will not help."""


@dataclass(frozen=True)
class MessageTemplate:
    name: str
    category: str
    description: str
    subject: str
    text: str
    sms: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    secret: bool = False
    example: dict = field(default_factory=dict)

    @property
    def params(self) -> tuple[str, ...]:
        return self.required + self.optional


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str  # the mail body
    sms: str   # the SMS text, signature included

    def body_for(self, channel: str) -> str:
        return self.sms if channel == "sms" else self.text


def cn_time(value) -> str:
    """An ISO 8601 time as a reader in China expects it: 2026年3月5日（周四）14:00."""
    if value is None or value == "":
        return "待定"
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
    moment = moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment.astimezone(LOCAL_TZ)
    return f"{moment.year}年{moment.month}月{moment.day}日（周{WEEKDAYS[moment.weekday()]}）{moment:%H:%M}"


def _label(mapping: dict):
    return lambda value: mapping.get(str(value).strip().lower(), str(value))


_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
_ENV.filters.update(cn_time=cn_time, interview_mode=_label(INTERVIEW_MODES), decision_label=_label(DECISIONS),
                    application_status=_label(APPLICATION_STATUSES))
_ENV.tests["returned"] = lambda value: str(value).strip().lower() in RETURNED
_ENV.tests["online"] = lambda value: str(value).strip().lower() in ("online", "video")


TEMPLATES: dict[str, MessageTemplate] = {t.name: t for t in (
    MessageTemplate(
        "registration_welcome", "account", "注册成功欢迎",
        subject="欢迎注册校园就业平台",
        text=("{{ name }}，您好：\n\n您已成功注册校园就业平台。今后的面试邀请、签约邀请、审核结果等通知将发送到"
              "您的注册邮箱和手机，请保持联系方式准确；如有变化，可登录后在个人中心修改。"),
        sms="{{ name }}，您已成功注册校园就业平台。面试、签约、审核等通知将发送至您的手机和邮箱。",
        required=("name",), example={"name": "张三"}),
    MessageTemplate(
        "password_reset_code", "account", "找回密码的邮箱验证码",
        subject="密码重置验证码",
        text=("{{ name }}，您好：\n\n您正在重置校园就业平台的登录密码，验证码为：{{ code }}\n"
              "验证码{{ minutes }}分钟内有效，请勿告诉他人。如非本人操作，请忽略本邮件，您的密码不会被修改。"),
        sms="您的密码重置验证码为{{ code }}，{{ minutes }}分钟内有效，请勿告诉他人。如非本人操作请忽略。",
        required=("name", "code", "minutes"), secret=True,
        example={"name": "张三", "code": "482913", "minutes": 10}),
    MessageTemplate(
        "phone_verification_code", "account", "手机号验证码（网签前验证）",
        subject="手机验证码",
        text="您好：\n\n您的手机验证码为：{{ code }}，{{ minutes }}分钟内有效，请勿告诉他人。",
        sms="您的手机验证码为{{ code }}，{{ minutes }}分钟内有效，请勿告诉他人。",
        required=("code", "minutes"), secret=True, example={"code": "305718", "minutes": 5}),
    MessageTemplate(
        "employer_approved", "account", "用人单位注册审核通过",
        subject="单位注册审核通过",
        text=("{{ company_name }}：\n\n贵单位在校园就业平台的注册申请已审核通过，现在可以使用注册邮箱登录，"
              "发布职位和宣讲会，并邀请学生面试。"),
        sms="{{ company_name }}的单位注册已审核通过，现在可以登录校园就业平台发布职位。",
        required=("company_name",), example={"company_name": "杭州云帆科技有限公司"}),
    MessageTemplate(
        "employer_registered", "account", "用人单位注册申请已提交",
        subject="单位注册申请已提交",
        text=("{{ company_name }}：\n\n贵单位的注册申请已提交，学校就业指导中心将尽快审核，"
              "审核结果将通过邮件和短信通知您。"),
        sms="{{ company_name }}的单位注册申请已提交，学校审核后将另行通知。",
        required=("company_name",), example={"company_name": "杭州云帆科技有限公司"}),
    MessageTemplate(
        "interview_invited", "interview", "用人单位发起面试邀请",
        subject="面试邀请：{{ company }}「{{ position }}」",
        text=("您好：\n\n{{ company }}邀请您参加「{{ position }}」岗位的{{ mode | interview_mode }}。\n"
              "面试时间：{{ starts_at | cn_time }}\n"
              "{% if mode is online %}"
              "面试方式：线上{% if room_url %}\n面试链接：{{ room_url }}{% endif %}\n"
              "{% else %}"
              "面试地点：{{ location or '请等待单位通知' }}\n"
              "{% endif %}"
              "{% if note %}备注：{{ note }}\n{% endif %}"
              "\n请登录校园就业平台，在学生中心【我的面试】中接受或拒绝邀请。"),
        sms=("{{ company }}邀请您参加「{{ position }}」{{ mode | interview_mode }}，时间{{ starts_at | cn_time }}，"
             "请登录就业平台【我的面试】查看并确认。"),
        required=("company", "position", "starts_at", "mode"), optional=("location", "room_url", "note"),
        example={"company": "杭州云帆科技有限公司", "position": "后端开发工程师", "starts_at": "2026-03-05T14:00:00+08:00",
                 "mode": "online", "room_url": "https://meeting.example.com/r/8823", "note": "请提前10分钟进入会议室"}),
    MessageTemplate(
        "application_status_changed", "application", "投递状态变化",
        subject="投递进度更新：「{{ position }}」",
        text=("您好：\n\n您投递的「{{ position }}」岗位状态已更新为：{{ status | application_status }}。\n"
              "请登录校园就业平台，在学生中心【我的投递】中查看详情。"),
        sms="您投递的「{{ position }}」岗位状态已更新为：{{ status | application_status }}。",
        required=("position", "status"), example={"position": "后端开发工程师", "status": "viewed"}),
    MessageTemplate(
        "signing_invitation", "signing", "用人单位发出签约邀请",
        subject="签约邀请：{{ company }}",
        text=("您好：\n\n{{ company }}向您发出了「{{ position }}」岗位的签约邀请。\n"
              "请登录校园就业平台，在学生中心【签约中心】—【线上应约】中查看并处理。"),
        sms="{{ company }}向您发出「{{ position }}」签约邀请，请登录就业平台【签约中心】处理。",
        required=("company", "position"), example={"company": "杭州云帆科技有限公司", "position": "后端开发工程师"}),
    MessageTemplate(
        "review_outcome", "review", "审核结果（生源信息、推荐表、协议、去向、解约等）",
        subject="审核结果：「{{ item }}」{{ decision | decision_label }}",
        text=("您好：\n\n您提交的「{{ item }}」审核结果：{{ decision | decision_label }}。\n"
              "{% if note %}审核意见：{{ note }}\n{% endif %}"
              "{% if decision is returned %}请根据审核意见修改后重新提交。\n{% endif %}"
              "请登录校园就业平台查看详情。"),
        sms=("您提交的「{{ item }}」审核结果：{{ decision | decision_label }}"
             "{% if note %}，意见：{{ note }}{% endif %}。详情请登录就业平台查看。"),
        required=("item", "decision"), optional=("note",),
        example={"item": "生源信息", "decision": "return", "note": "请补充家庭地址"}),
    MessageTemplate(
        "appointment_reminder", "appointment", "咨询预约提醒",
        subject="就业咨询预约提醒",
        text=("您好：\n\n您预约的{{ counselor }}老师的就业咨询将于{{ starts_at | cn_time }}开始，请准时参加。\n"
              "如需取消，请登录校园就业平台在【我的预约】中操作。"),
        sms="提醒：您预约的{{ counselor }}老师就业咨询将于{{ starts_at | cn_time }}开始，请准时参加。",
        required=("counselor", "starts_at"), example={"counselor": "李明", "starts_at": "2026-03-06T09:30:00+08:00"}),
    MessageTemplate(
        "generic", "system", "通用通知（自定义标题和正文）",
        subject="{{ subject }}", text="{{ text }}", sms="{{ text }}",
        required=("subject", "text"), example={"subject": "系统维护通知", "text": "平台将于今晚22:00至23:00维护。"}),
    MessageTemplate(
        "push_digest", "digest", "超过每日推送上限的推送汇总（notify 自己发出）",
        subject="推送汇总：您有{{ count }}条推送消息",
        text=("您好：\n\n以下{{ count }}条推送消息超过了您设置的每日推送上限，汇总如下：\n"
              "{% for item in items %}{{ loop.index }}. {{ item }}\n{% endfor %}"
              "\n请登录校园就业平台【我的推送】查看详情；每日推送上限可在通知设置中调整。"),
        sms="您有{{ count }}条职位推送消息已汇总，请登录就业平台【我的推送】查看。",
        required=("count", "items"), example={"count": 2, "items": ["职位推荐：后端开发工程师", "职位推荐：数据分析师"]}),
)}


@lru_cache(maxsize=None)
def _compiled(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


def get_template(name: str) -> MessageTemplate:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise TemplateError(f"未知的通知模板 (unknown template): {name}") from None


def render(name: str, params: dict | None) -> Rendered:
    """Subject, mail text and SMS text of a template; TemplateError when it cannot be rendered."""
    template = get_template(name)
    params = dict(params or {})
    missing = [p for p in template.required if params.get(p) in (None, "")]
    if missing:
        raise TemplateError(f"模板 {name} 缺少参数 (missing params): {', '.join(missing)}")
    context = {p: None for p in template.optional}
    context.update(params)
    try:
        subject = " ".join(_compiled(template.subject).render(context).split())
        text = _compiled(template.text).render(context).strip()
        sms = _compiled(template.sms).render(context).strip()
    except jinja2.TemplateError as exc:
        raise TemplateError(f"模板 {name} 渲染失败 (render error): {exc}") from exc
    return Rendered(subject=subject[:255], text=text + MAIL_FOOTER, sms=SMS_SIGNATURE + sms)


def catalog() -> list[dict]:
    """The template catalog staff see: params, default category, the sources and an example."""
    items = []
    for t in TEMPLATES.values():
        example = render(t.name, t.example)
        items.append({
            "name": t.name, "description": t.description, "category": t.category,
            "required_params": list(t.required), "optional_params": list(t.optional), "secret": t.secret,
            "subject": t.subject, "text": t.text, "sms": t.sms,
            "example": {"params": t.example, "subject": example.subject, "text": example.text, "sms": example.sms},
        })
    return items
