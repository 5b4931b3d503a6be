"""The completeness rules: a documented weighting, what an empty and a full resume score, what is missing."""
import pytest

from services.resume.domain.completeness import DELIVERY_THRESHOLD, WEIGHTS, compute, weights_table
from services.resume.domain.sections import SECTION_KEYS, SECTION_LABELS, empty_content, normalize_content
from tests.resume.samples import full_sections


@pytest.mark.parametrize("kind", ["zh", "en", "attachment"])
def test_weights_of_every_kind_sum_to_100(kind):
    assert sum(points for _, _, points in WEIGHTS[kind]) == 100


@pytest.mark.parametrize("kind", ["zh", "en"])
def test_empty_resume_scores_under_60_and_lists_every_section_in_chinese(kind):
    result = compute(kind, empty_content())
    assert result.score == 0 < DELIVERY_THRESHOLD
    assert not result.deliverable
    assert set(result.missing_sections) == set(SECTION_KEYS)
    for item in result.missing:
        assert item.label == SECTION_LABELS["zh"][item.section]
        assert item.hint.startswith("请")
    assert "教育经历" in result.message() and "0%" in result.message()


@pytest.mark.parametrize("kind", ["zh", "en"])
def test_fully_filled_resume_scores_at_least_90(kind):
    result = compute(kind, normalize_content(full_sections()))
    assert result.score >= 90
    assert result.score == 100 and result.missing == []
    assert result.to_dict()["deliverable"] is True


def test_partial_basic_info_names_the_missing_fields():
    content = normalize_content({"basic_info": {"name": "李四", "email": "lisi@example.cn"}})
    result = compute("zh", content)
    assert result.score == 5 + 4
    basic = next(item for item in result.missing if item.section == "basic_info")
    assert basic.points == 20 - 9
    assert set(basic.fields) == {"phone", "city", "gender", "birth_date"}
    assert "手机号码" in basic.hint and "姓名" not in basic.hint


def test_blank_strings_do_not_count():
    content = normalize_content({"basic_info": {"name": "   "}, "self_evaluation": " "})
    assert compute("zh", content).score == 0


def test_a_typical_student_without_internships_reaches_the_threshold():
    sections = full_sections()
    for key in ("internships", "projects", "certificates", "awards"):
        sections.pop(key)
    result = compute("zh", normalize_content(sections))
    assert result.score == 65 and result.deliverable
    assert result.missing_sections == ["internships", "projects", "certificates", "awards"]


def test_job_intention_salary_counts_with_either_bound():
    only_max = normalize_content({"job_intention": {"salary_max": 9000}})
    assert compute("zh", only_max).score == 2


def test_attachment_resume_counts_the_file():
    empty = compute("attachment", empty_content())
    assert empty.score == 0 and empty.missing_sections[0] == "attachment"
    assert empty.missing[0].label == "附件简历文件"
    with_file = compute("attachment", empty_content(), has_attachment=True)
    assert with_file.score == 70 and with_file.deliverable
    everything = compute("attachment", normalize_content(full_sections()), has_attachment=True)
    assert everything.score == 100


def test_the_documented_table_names_every_weighted_section():
    table = weights_table()
    for kind in WEIGHTS:
        for section, _, _ in WEIGHTS[kind]:
            assert f"`{section}`" in table
    assert f"≥ {DELIVERY_THRESHOLD}" in table
