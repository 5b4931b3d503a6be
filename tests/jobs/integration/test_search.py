"""Search on both databases: Chinese and English keywords, every filter, ranking, sorting, paging, bad input."""
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from services.jobs.models import Position

from .conftest import pagination, position_body

SEARCH = "/api/v1/jobs/positions"

POSTINGS = {
    "dev": position_body(title="高级Python开发工程师",
                         description="负责后端服务的设计与开发，熟悉 Django、PostgreSQL 与消息队列。",
                         city="上海", salary_min=15000, salary_max=30000, degree="本科", job_type="full_time",
                         industry="互联网"),
    "finance": position_body(title="财务分析实习生", description="协助编制财务报表，进行成本与预算分析。",
                             city="北京", salary_min=3000, salary_max=5000, degree="硕士", job_type="intern",
                             industry="金融", majors=["会计学", "财务管理"]),
    "java": position_body(title="Java后端工程师", description="Spring Boot microservices; Kafka and MySQL experience.",
                          city="杭州", salary_min=12000, salary_max=20000, degree="本科", job_type="full_time",
                          industry="互联网"),
    "data": position_body(title="数据分析师", description="使用 Python 和 SQL 进行业务数据分析，撰写分析报告。",
                          city="上海", salary_min=10000, salary_max=16000, degree="硕士", job_type="full_time",
                          industry="金融"),
    "teacher": position_body(title="英语教师", description="Teach English to high school students. 需要教师资格证。",
                             city="北京", salary_min=8000, salary_max=12000, degree="本科", job_type="full_time",
                             industry="教育"),
    "ml": position_body(title="机器学习算法实习生", description="参与推荐系统的模型训练与 Python 工程开发。",
                        city="深圳", salary_min=6000, salary_max=9000, degree="博士", job_type="intern",
                        industry="互联网"),
}


@pytest.fixture
def catalog(client, actors):
    """The six postings above, published in this order by two employers; name → id."""
    ids = {}
    for index, (name, body) in enumerate(POSTINGS.items()):
        headers = actors.employer(7 if index % 2 == 0 else 8)
        response = client.post(SEARCH, json=body, headers=headers)
        assert response.status_code == 201, response.json
        ids[name] = response.json["id"]
    return ids


def titles(client, **params):
    response = client.get(SEARCH, query_string=params)
    assert response.status_code == 200, response.json
    return [p["title"] for p in response.json]


def names(client, catalog, **params):
    by_id = {v: k for k, v in catalog.items()}
    response = client.get(SEARCH, query_string=params)
    assert response.status_code == 200, response.json
    return {by_id[p["id"]] for p in response.json}


def test_python_kaifa_finds_the_developer_and_not_the_finance_intern(client, catalog):
    found = titles(client, q="Python 开发")
    assert "高级Python开发工程师" in found
    assert "财务分析实习生" not in found
    # the ML intern also mentions Python and 开发 (in its description): all keywords match there too
    assert set(found) == {"高级Python开发工程师", "机器学习算法实习生"}


def test_one_chinese_keyword(client, catalog):
    assert names(client, catalog, q="财务") == {"finance"}
    assert names(client, catalog, q="分析") == {"finance", "data"}
    assert names(client, catalog, q="数据分析") == {"data"}
    assert names(client, catalog, q="实习生") == {"finance", "ml"}


def test_english_keywords_are_case_insensitive(client, catalog):
    assert names(client, catalog, q="django") == {"dev"}
    assert names(client, catalog, q="Kafka MySQL") == {"java"}
    assert names(client, catalog, q="ENGLISH") == {"teacher"}
    assert names(client, catalog, q="python") == {"dev", "data", "ml"}


def test_all_keywords_must_match(client, catalog):
    assert names(client, catalog, q="Python 财务") == set()
    assert names(client, catalog, q="Python SQL") == {"data"}


def test_no_match_is_an_empty_page_with_total_zero(client, catalog):
    response = client.get(SEARCH, query_string={"q": "区块链"})
    assert response.status_code == 200
    assert response.json == []
    assert pagination(response)["total"] == 0


FILTER_CASES = [
    ({"city": "上海"}, {"dev", "data"}),
    ({"city": "北京"}, {"finance", "teacher"}),
    ({"degree": "硕士"}, {"finance", "data"}),
    ({"degree": "博士"}, {"ml"}),
    ({"job_type": "intern"}, {"finance", "ml"}),
    ({"job_type": "full_time"}, {"dev", "java", "data", "teacher"}),
    ({"industry": "金融"}, {"finance", "data"}),
    ({"industry": "教育"}, {"teacher"}),
    ({"salary_min": 20000}, {"dev", "java"}),              # ranges reaching 20000
    ({"salary_max": 5000}, {"finance"}),                   # ranges starting at or below 5000
    ({"salary_min": 9000, "salary_max": 11000}, {"data", "teacher", "ml"}),
    ({"salary_min": 31000}, set()),
]


def test_each_filter(client, catalog):
    for params, expected in FILTER_CASES:
        assert names(client, catalog, **params) == expected, params


def test_keyword_and_filters_combine(client, catalog):
    assert names(client, catalog, q="Python", city="上海") == {"dev", "data"}
    assert names(client, catalog, q="Python", job_type="intern") == {"ml"}
    assert names(client, catalog, q="分析", industry="金融", degree="硕士", salary_min=12000) == {"data"}


def test_employer_filter(client, catalog):
    assert names(client, catalog, employer_id=8) == {"finance", "data", "ml"}


def test_relevance_puts_title_matches_first(client, catalog):
    response = client.get(SEARCH, query_string={"q": "Python"})
    ranked = [p["title"] for p in response.json]
    assert ranked[0] == "高级Python开发工程师"  # the only one with Python in its title
    scores = [p["score"] for p in response.json]
    assert scores == sorted(scores, reverse=True)


def test_newest_first(client, catalog):
    response = client.get(SEARCH, query_string={"sort": "newest"})
    assert [p["id"] for p in response.json] == sorted(catalog.values(), reverse=True)
    response = client.get(SEARCH, query_string={"q": "Python", "sort": "newest"})
    assert [p["id"] for p in response.json] == [catalog["ml"], catalog["data"], catalog["dev"]]


def test_pagination(client, catalog):
    first = client.get(SEARCH, query_string={"page_size": 4})
    second = client.get(SEARCH, query_string={"page_size": 4, "page": 2})
    assert len(first.json) == 4 and len(second.json) == 2
    info = pagination(first)
    assert info["total"] == 6 and info["total_pages"] == 2
    assert not {p["id"] for p in first.json} & {p["id"] for p in second.json}
    assert client.get(SEARCH, query_string={"page": 3, "page_size": 4}).json == []


def test_past_deadline_and_unpublished_positions_are_not_found(client, catalog, jobs_db, actors):
    with jobs_db.write() as session:
        session.execute(update(Position).where(Position.id == catalog["dev"])
                        .values(deadline=date.today() - timedelta(days=3)))
    assert "dev" not in names(client, catalog, q="Python")
    client.post(f"{SEARCH}/{catalog['java']}/close", headers=actors.employer(7))
    assert names(client, catalog, q="Kafka") == set()


def test_edited_title_is_searchable(client, catalog, actors):
    response = client.patch(f"{SEARCH}/{catalog['teacher']}", json={"title": "区块链研究员"},
                            headers=actors.employer(7))
    assert response.status_code == 200, response.json
    assert names(client, catalog, q="区块链") == {"teacher"}
    assert names(client, catalog, q="英语教师") == set()
    assert names(client, catalog, q="english") == {"teacher"}  # the description did not change


NONSENSE = [
    ({"page": -1}, "page"),
    ({"page": 0}, "page"),
    ({"page_size": 100000}, "page_size"),
    ({"salary_min": "abc"}, "salary_min"),
    ({"salary_min": 9000, "salary_max": 100}, "salary_max"),
    ({"sort": "foo"}, "sort"),
    ({"degree": "小学"}, "degree"),
    ({"job_type": "part_time"}, "job_type"),
    ({"q": "x" * 101}, "q"),
]


def test_nonsense_parameters_are_422(client):
    for params, field in NONSENSE:
        response = client.get(SEARCH, query_string=params)
        assert response.status_code == 422, params
        assert response.json["code"] == "validation_error"
        assert field in response.json["errors"], params


def test_keywords_that_are_fts_syntax_are_plain_words(client, catalog):
    for q in ('"', "NOT python", "python*", "title:python", "a AND", "(", "'; DROP TABLE positions; --"):
        response = client.get(SEARCH, query_string={"q": q})
        assert response.status_code == 200, (q, response.json)
    assert names(client, catalog, q="python") == {"dev", "data", "ml"}


def test_results_are_capped_at_the_newest_matches(make_client, catalog):
    client = make_client(search_max_results=3)
    response = client.get(SEARCH, query_string={"page_size": 2})
    assert pagination(response)["total"] == 3 and response.headers["X-Total-Capped"] == "true"
    newest_three = sorted(catalog.values(), reverse=True)[:3]
    second = client.get(SEARCH, query_string={"page_size": 2, "page": 2})
    assert [p["id"] for p in response.json + second.json] == newest_three
    response = client.get(SEARCH, query_string={"q": "Python"})  # 3 matches: exactly the cap, not capped
    assert pagination(response)["total"] == 3 and response.headers["X-Total-Capped"] == "false"
    assert response.json[0]["title"] == "高级Python开发工程师"
