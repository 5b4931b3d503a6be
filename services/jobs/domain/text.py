"""Chinese/English segmentation for search: what is indexed for a posting, and what a query must match.

Documents are cut with jieba's search mode (every word, plus the dictionary 2- and 3-character words
inside longer words), queries with its precise mode. A query word longer than two characters is then
replaced by the dictionary 2-/3-character words inside it, which the index holds whenever the word
occurs inside a longer one ("数据分析" finds "数据分析师", indexed as 数据 / 分析 / 分析师). HMM new-word
discovery is off on both sides so the same text always yields the same tokens.

Both databases receive the tokens joined by spaces; their own tokenizer (FTS5 unicode61, PostgreSQL's
'simple' parser) then splits the document and the query the same way.
"""
from __future__ import annotations

import logging
import re
import threading
import unicodedata

import jieba

jieba.setLogLevel(logging.WARNING)

MAX_QUERY_TOKENS = 32
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_init_lock = threading.Lock()
_ready = False


def warm_up() -> None:
    """Load jieba's dictionary now (≈1 s) rather than in the first search request."""
    global _ready
    if not _ready:
        with _init_lock:
            if not _ready:
                jieba.initialize()
                _ready = True


def normalize(text: str) -> str:
    """Full-width letters and digits to ASCII, lower case (Ｐｙｔｈｏｎ → python)."""
    return unicodedata.normalize("NFKC", text or "").lower()


def _keep(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def is_cjk(word: str) -> bool:
    return bool(_CJK.search(word))


def document_tokens(text: str) -> list[str]:
    """Index tokens of a title or description, in order (duplicates kept: they weigh in ranking)."""
    warm_up()
    return [t.strip() for t in jieba.cut_for_search(normalize(text), HMM=False) if _keep(t)]


def document_text(text: str) -> str:
    """What goes into the search column: tokens separated by single spaces."""
    return " ".join(document_tokens(text))


def word_query_tokens(word: str) -> list[str]:
    """The index tokens a query word must match (see the module docstring)."""
    if len(word) <= 2 or not is_cjk(word):
        return [word]
    freq = jieba.dt.FREQ
    grams: list[str] = []
    for size in (2, 3):
        for i in range(len(word) - size + 1):
            gram = word[i:i + size]
            if freq.get(gram) and gram not in grams:
                grams.append(gram)
    if not grams:
        return [word]
    if len(word) == 3 and word not in grams:
        grams.append(word)
    return grams


def query_tokens(q: str | None) -> list[str]:
    """All tokens a search must match (every keyword, every part of it), deduplicated, in order."""
    if not q:
        return []
    warm_up()
    tokens: list[str] = []
    for keyword in normalize(q).split():
        for word in jieba.cut(keyword, HMM=False):
            word = word.strip()
            if not _keep(word):
                continue
            for token in word_query_tokens(word):
                if token not in tokens:
                    tokens.append(token)
    return tokens[:MAX_QUERY_TOKENS]


def fts5_match(tokens: list[str]) -> str:
    """An FTS5 MATCH expression requiring every token (each quoted, so no token is read as syntax)."""
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in tokens)


def tsquery_text(tokens: list[str]) -> str:
    """Input of plainto_tsquery('simple', …): the same parser as the indexed text, every lexeme ANDed."""
    return " ".join(tokens)
