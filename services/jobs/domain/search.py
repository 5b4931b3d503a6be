"""Position search on the database's own full-text index: SQLite FTS5 (bm25) or PostgreSQL tsvector (ts_rank).

Only public positions are found: published, and the deadline not passed (school day).

A search looks at the `max_results` (default 1,000) most recently created matching positions, like
the result cap of large job boards (and Elasticsearch's `track_total_hits`): the database walks its
full-text index newest-first and stops there, so a keyword found in half of 100,000 postings costs
the same as a rare one. Within that window the ranking is exact (bm25 / ts_rank, title words weighing
more) or by publication time; the total is exact up to the cap and reported as the cap beyond it
(`capped`). Queries with fewer matches than the cap — nearly every real query — are fully exact.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, column, func, literal_column, select, table
from sqlalchemy.orm import Session

from ..models import PUBLISHED, Position
from .text import fts5_match, query_tokens, tsquery_text

DEFAULT_MAX_RESULTS = 1000
# Title words weigh more than description words.
FTS5_WEIGHTS = (5.0, 1.0)
_fts = table("position_fts", column("rowid"))
_fts_ref = literal_column("position_fts")
_vector = literal_column("positions.search_vector")


@dataclass(frozen=True)
class SearchQuery:
    q: str | None = None
    city: str | None = None
    degree: str | None = None
    job_type: str | None = None
    industry: str | None = None
    employer_id: int | None = None
    salary_min: int | None = None
    salary_max: int | None = None
    sort: str = "relevance"


@dataclass(frozen=True)
class SearchPage:
    hits: list[tuple[int, float | None]]  # (position id, relevance score or None), in page order
    total: int                            # exact, or max_results when capped
    capped: bool


def salary_conditions(want_min: int | None, want_max: int | None) -> list:
    """SQL form of rules.salary_overlaps: the position's range overlaps the asked one."""
    conditions = []
    if want_min is not None:
        conditions.append(Position.salary_max >= want_min)
    if want_max is not None:
        conditions.append(Position.salary_min <= want_max)
    return conditions


def filter_conditions(query: SearchQuery, today: date) -> list:
    conditions = [Position.status == PUBLISHED, Position.deadline >= today]
    for name in ("city", "degree", "job_type", "industry", "employer_id"):
        value = getattr(query, name)
        if value not in (None, ""):
            conditions.append(getattr(Position, name) == value)
    conditions.extend(salary_conditions(query.salary_min, query.salary_max))
    return conditions


def _window(query: SearchQuery, tokens: list[str], today: date, dialect: str, size: int):
    """Subquery (id, published_at, score) of the `size` newest matching public positions.

    The database walks its index newest-first (FTS5 rowid DESC, PostgreSQL's primary key backwards or a
    bitmap of the GIN index, as its planner prefers) and stops at `size` rows.
    """
    conditions = filter_conditions(query, today)
    if not tokens:
        return (select(Position.id.label("id"), Position.published_at.label("published_at"),
                       literal_column("0.0").label("score"))
                .where(*conditions).order_by(Position.id.desc()).limit(size).subquery())
    if dialect == "sqlite":
        return (select(Position.id.label("id"), Position.published_at.label("published_at"),
                       (-func.bm25(_fts_ref, *FTS5_WEIGHTS)).label("score"))
                .select_from(_fts.join(Position, Position.id == _fts.c.rowid))
                .where(_fts_ref.op("MATCH")(bindparam("match", fts5_match(tokens))), *conditions)
                .order_by(_fts.c.rowid.desc()).limit(size).subquery())
    tsquery = func.plainto_tsquery(literal_column("'simple'::regconfig"), bindparam("tsq", tsquery_text(tokens)))
    newest = (select(Position.id.label("id"), Position.published_at.label("published_at"),
                     _vector.label("vector"))
              .where(_vector.op("@@")(tsquery), *conditions).order_by(Position.id.desc()).limit(size).subquery())
    # ts_rank outside the limited subquery: computed for the window only, whatever plan finds the rows.
    return select(newest.c.id, newest.c.published_at,
                  func.ts_rank(newest.c.vector, tsquery).label("score")).subquery()


def search(session: Session, query: SearchQuery, *, today: date, offset: int, limit: int,
           max_results: int = DEFAULT_MAX_RESULTS) -> SearchPage:
    """One page of matches, ranked by relevance (keywords given) or newest first; one round trip."""
    tokens = query_tokens(query.q)
    window = _window(query, tokens, today, session.get_bind().dialect.name, max_results + 1)
    # The extra (oldest) row only tells that there are more than max_results: never shown.
    numbered = select(window, func.row_number().over(order_by=window.c.id.desc()).label("n"),
                      func.count().over().label("matches")).subquery()
    if tokens and query.sort == "relevance":
        order = (numbered.c.score.desc(), numbered.c.id.desc())
    else:
        order = (numbered.c.published_at.desc(), numbered.c.id.desc())
    rows = session.execute(select(numbered.c.id, numbered.c.score, numbered.c.matches)
                           .where(numbered.c.n <= max_results).order_by(*order).offset(offset).limit(limit)).all()
    if rows:
        matches = rows[0][2]
    else:  # a page past the end: count the window on its own
        matches = session.scalar(select(func.count()).select_from(window))
    return SearchPage(hits=[(r[0], float(r[1]) if tokens else None) for r in rows],
                      total=min(matches, max_results), capped=matches > max_results)
