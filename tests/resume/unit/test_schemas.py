"""Request validation: dates, periods, salaries, enumerations, lengths and unknown fields, in Chinese."""
import marshmallow as ma
import pytest

from services.resume.schemas import ResumeCreateIn, ResumeUpdateIn
from tests.resume.samples import full_sections


def errors_of(body, schema=ResumeCreateIn):
    with pytest.raises(ma.ValidationError) as info:
        schema().load(body)
    return info.value.messages


def test_full_resume_loads_unchanged():
    body = {"kind": "zh", "title": "后端开发简历", **full_sections()}
    assert ResumeCreateIn().load(body) == body


def test_unknown_kind_is_refused():
    assert "kind" in errors_of({"kind": "pdf"})
    assert "kind" in errors_of({"title": "x"})


@pytest.mark.parametrize("month", ["2022-13", "2022/09", "22-09", "2022-9", "1890-01"])
def test_months_are_yyyy_mm(month):
    errors = errors_of({"kind": "zh", "education": [
        {"school": "北大", "major": "法学", "degree": "本科", "start": month}]})
    assert "YYYY-MM" in errors["education"][0]["start"][0]


def test_end_before_start_is_refused_with_its_field():
    errors = errors_of({"kind": "zh", "internships": [
        {"company": "腾讯", "position": "实习生", "start": "2025-07", "end": "2025-06"}]})
    assert "结束时间不能早于开始时间" in errors["internships"][0]["end"][0]


def test_ongoing_period_has_no_end():
    body = ResumeCreateIn().load({"kind": "zh", "education": [
        {"school": "北大", "major": "法学", "degree": "硕士", "start": "2025-09", "end": None}]})
    assert body["education"][0]["end"] is None


def test_salary_min_above_max_is_refused():
    errors = errors_of({"kind": "zh", "job_intention": {"salary_min": 20000, "salary_max": 8000}})
    assert "salary_max" in errors["job_intention"]
    assert "salary_min" in errors_of({"kind": "zh", "job_intention": {"salary_min": -1}})["job_intention"]
    assert "salary_min" in errors_of({"kind": "zh", "job_intention": {"salary_min": "8000"}})["job_intention"]


@pytest.mark.parametrize("birth_date", ["2003-02-30", "2003-5-1", "1900-01-01", "2999-01-01"])
def test_birth_date_is_a_plausible_yyyy_mm_dd(birth_date):
    assert "birth_date" in errors_of({"kind": "zh", "basic_info": {"birth_date": birth_date}})["basic_info"]


def test_enumerations_and_formats():
    errors = errors_of({"kind": "zh", "basic_info": {"gender": "unknown", "email": "not-an-email", "phone": "电话"},
                        "education": [{"school": "北大", "major": "法学", "degree": "大专", "start": "2020-09"}]})
    assert set(errors["basic_info"]) == {"gender", "email", "phone"}
    assert "degree" in errors["education"][0]


def test_chinese_gender_is_accepted():
    assert ResumeCreateIn().load({"kind": "zh", "basic_info": {"gender": "女"}})["basic_info"]["gender"] == "female"


def test_lengths_and_list_sizes():
    errors = errors_of({"kind": "zh", "title": "标" * 101, "skills": ["技能"] * 31,
                        "self_evaluation": "好" * 2001, "basic_info": {"name": "名" * 51}})
    assert {"title", "skills", "self_evaluation", "basic_info"} <= set(errors)


def test_required_entry_fields_and_blank_strings():
    errors = errors_of({"kind": "zh", "education": [{"school": "  ", "degree": "本科", "start": "2020-09"}]})
    assert {"school", "major"} <= set(errors["education"][0])


def test_blank_optional_text_becomes_null_and_control_characters_go():
    body = ResumeCreateIn().load({"kind": "zh", "basic_info": {"city": "  ", "name": "王\x00五\x07"}})
    assert body["basic_info"] == {"city": None, "name": "王五"}


def test_unknown_fields_are_refused_in_chinese():
    errors = errors_of({"kind": "zh", "hobbies": ["篮球"]})
    assert errors == {"hobbies": ["未知字段 (unknown field)"]}


def test_update_allows_null_to_clear_a_section():
    assert ResumeUpdateIn().load({"education": None, "basic_info": None}) == {"education": None, "basic_info": None}
