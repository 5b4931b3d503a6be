"""Segmentation of postings and queries (jieba), and the query strings given to FTS5 / PostgreSQL."""
import pytest

from services.jobs.domain import text


def _matches(query: str, document: str) -> bool:
    """What the databases do: every query token must be one of the document's tokens."""
    indexed = set(text.document_tokens(document))
    return all(t in indexed for t in text.query_tokens(query))


def test_python_kaifa_finds_the_developer_not_the_finance_intern():
    assert text.query_tokens("Python 开发") == ["python", "开发"]
    assert _matches("Python 开发", "高级Python开发工程师")
    assert not _matches("Python 开发", "财务分析实习生")


def test_every_keyword_must_match():
    assert _matches("财务 实习", "财务分析实习生")
    assert not _matches("财务 Python", "财务分析实习生")


def test_document_tokens_are_search_mode_and_lower_case():
    tokens = text.document_tokens("高级Python开发工程师")
    assert {"高级", "python", "开发", "工程", "工程师"} <= set(tokens)


def test_long_query_word_matches_inside_a_longer_document_word():
    # "数据分析" is one dictionary word; the posting segments "数据分析师" as 数据 / 分析 / 分析师.
    assert text.query_tokens("数据分析") == ["数据", "分析"]
    assert _matches("数据分析", "招聘数据分析师若干名")
    assert not _matches("数据分析", "财务分析实习生")


def test_query_without_spaces_is_segmented():
    assert text.query_tokens("Python开发工程师") == ["python", "开发", "工程", "工程师"]
    assert _matches("Python开发工程师", "高级Python开发工程师")


def test_full_width_and_case_are_normalised():
    assert text.query_tokens("ＰＹＴＨＯＮ") == ["python"]
    assert _matches("JAVA", "Java后端开发")


def test_punctuation_and_empty_queries_yield_no_tokens():
    assert text.query_tokens("  ，。！ ") == []
    assert text.query_tokens(None) == []
    assert "，" not in text.document_tokens("负责开发，测试。")


def test_duplicate_keywords_are_asked_once():
    assert text.query_tokens("python Python PYTHON") == ["python"]


def test_fts5_match_quotes_every_token():
    assert text.fts5_match(["python", "开发"]) == '"python" AND "开发"'
    # a token can never inject FTS5 syntax (NOT, NEAR, column filters, quotes)
    assert text.fts5_match(['a"b', "NOT"]) == '"a""b" AND "NOT"'


def test_query_token_count_is_bounded():
    q = " ".join(f"word{i}" for i in range(100))
    assert len(text.query_tokens(q)) == text.MAX_QUERY_TOKENS


@pytest.mark.parametrize("word,expected", [("开发", ["开发"]), ("python", ["python"]), ("工程师", ["工程", "工程师"])])
def test_word_query_tokens(word, expected):
    assert text.word_query_tokens(word) == expected
