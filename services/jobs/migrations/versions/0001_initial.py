"""jobs: positions (+ full-text index), favorites, applications, history, interviews, outbox, processed events

The full-text index is the database's own: on SQLite an FTS5 table over the segmented columns kept in
step by triggers (external content, so the text is stored once); on PostgreSQL a generated tsvector
column ('simple' config: no stemming, the text is already jieba-segmented) with a GIN index.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)

LISTING_COLUMNS = ["status", "deadline", "city", "job_type", "degree", "industry", "salary_min", "salary_max",
                   "employer_id", "published_at"]

SQLITE_FTS = [
    """CREATE VIRTUAL TABLE position_fts USING fts5(
           search_title, search_body, content='positions', content_rowid='id',
           tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER positions_fts_insert AFTER INSERT ON positions BEGIN
           INSERT INTO position_fts(rowid, search_title, search_body)
           VALUES (new.id, new.search_title, new.search_body);
       END""",
    """CREATE TRIGGER positions_fts_delete AFTER DELETE ON positions BEGIN
           INSERT INTO position_fts(position_fts, rowid, search_title, search_body)
           VALUES ('delete', old.id, old.search_title, old.search_body);
       END""",
    """CREATE TRIGGER positions_fts_update AFTER UPDATE OF search_title, search_body ON positions BEGIN
           INSERT INTO position_fts(position_fts, rowid, search_title, search_body)
           VALUES ('delete', old.id, old.search_title, old.search_body);
           INSERT INTO position_fts(rowid, search_title, search_body)
           VALUES (new.id, new.search_title, new.search_body);
       END""",
]

POSTGRES_FTS = [
    """ALTER TABLE positions ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
           setweight(to_tsvector('simple'::regconfig, search_title), 'A') ||
           setweight(to_tsvector('simple'::regconfig, search_body), 'B')) STORED""",
    "CREATE INDEX ix_positions_search_vector ON positions USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table(
        "positions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("employer_id", sa.BigInteger(), nullable=False),
        sa.Column("company_name", sa.String(200), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("city", sa.String(50), nullable=False),
        sa.Column("salary_min", sa.Integer(), nullable=False),
        sa.Column("salary_max", sa.Integer(), nullable=False),
        sa.Column("degree", sa.String(8), nullable=False),
        sa.Column("majors", sa.JSON(), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("job_type", sa.String(16), nullable=False),
        sa.Column("industry", sa.String(50), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("review_note", sa.Text()),
        sa.Column("reviewed_by", sa.BigInteger()),
        sa.Column("search_title", sa.Text(), nullable=False),
        sa.Column("search_body", sa.Text(), nullable=False),
        sa.Column("published_at", When),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
    )
    op.create_index("ix_positions_employer", "positions", ["employer_id", "created_at"])
    op.create_index("ix_positions_city", "positions", ["city"])
    op.create_index("ix_positions_industry", "positions", ["industry"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    # Search walks matches newest-first (by id) and checks the filters of each: this index holds them all,
    # so the wide rows (descriptions, search text) are not read for candidates that do not qualify.
    if sqlite:
        op.create_index("ix_positions_listing", "positions", ["id", *LISTING_COLUMNS])
    else:
        op.create_index("ix_positions_listing", "positions", ["id"], postgresql_include=LISTING_COLUMNS)
    for statement in (SQLITE_FTS if sqlite else POSTGRES_FTS):
        op.execute(statement)

    op.create_table(
        "favorites",
        sa.Column("student_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("position_id", BigId, sa.ForeignKey("positions.id", ondelete="CASCADE"), primary_key=True,
                  autoincrement=False),
        sa.Column("created_at", When, nullable=False),
    )
    op.create_index("ix_favorites_student", "favorites", ["student_id", "created_at"])

    op.create_table(
        "applications",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("position_id", BigId, sa.ForeignKey("positions.id"), nullable=False),
        sa.Column("employer_id", sa.BigInteger(), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("student_name", sa.String(100)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("resume_id", sa.BigInteger()),
        sa.Column("resume_kind", sa.String(16)),
        sa.Column("resume_title", sa.String(200)),
        sa.Column("completeness", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("viewed_at", When),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.UniqueConstraint("position_id", "student_id", name="uq_applications_position_student"),
    )
    op.create_index("ix_applications_student", "applications", ["student_id", "created_at"])
    op.create_index("ix_applications_employer", "applications", ["employer_id", "status", "created_at"])

    op.create_table(
        "application_history",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("application_id", BigId, sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("at", When, nullable=False),
    )
    op.create_index("ix_application_history_app", "application_history", ["application_id", "id"])

    op.create_table(
        "interviews",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("application_id", BigId, sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("position_id", BigId, sa.ForeignKey("positions.id"), nullable=False),
        sa.Column("employer_id", sa.BigInteger(), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", When, nullable=False),
        sa.Column("utc_offset_minutes", sa.Integer(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("location", sa.String(300)),
        sa.Column("room_url", sa.String(300), unique=True),
        sa.Column("note", sa.Text()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answer_note", sa.Text()),
        sa.Column("answered_at", When),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
    )
    op.create_index("ix_interviews_student", "interviews", ["student_id", "starts_at"])
    op.create_index("ix_interviews_employer", "interviews", ["employer_id", "starts_at"])
    op.create_index("ix_interviews_application", "interviews", ["application_id"])

    op.create_table(
        "outbox",
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("exchange", sa.String(100), nullable=False),
        sa.Column("routing_key", sa.String(100), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", When, nullable=False),
        sa.Column("published_at", When),
    )
    op.create_index("ix_outbox_state_seq", "outbox", ["state", "seq"])

    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("handler", sa.String(120), primary_key=True),
        sa.Column("processed_at", When, nullable=False),
    )


def downgrade() -> None:
    for table in ("processed_events", "outbox", "interviews", "application_history", "applications", "favorites"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("positions_fts_insert", "positions_fts_delete", "positions_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS position_fts")
    op.drop_table("positions")
