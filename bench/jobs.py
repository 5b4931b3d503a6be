"""Position search latency on SQLite (FTS5) and PostgreSQL (tsvector/GIN), side by side.

    python -m bench.jobs [--rows 100000] [--iterations 40] [--pg-admin-url postgresql://postgres@127.0.0.1:5432/test]

Generates `--rows` postings with Chinese (and some English) titles and descriptions into a fresh SQLite
file and a fresh PostgreSQL database (both migrated with jobs' own migrations, dropped afterwards), then
times GET /api/v1/jobs/positions through the jobs app in-process (argument parsing, the search query,
the count for X-Pagination, loading and serialising the page of 20) for several query shapes, and prints
p50 / p95 per shape and database. Goal: p95 ≤ 50 ms. Searches cover the 1,000 newest matches
(JOBS_SEARCH_MAX_RESULTS, see services/jobs/domain/search.py): "1000+" in the hits column.

Rows are generated quickly: descriptions are sentences from a pool, each ending in punctuation, so the
segmented search text of a description is the concatenation of its sentences' segmented text (jieba
segments each punctuation-delimited block on its own); the first rows are checked against segmenting
the whole text. Inserts go through the real migrations' schema (FTS5 triggers, generated tsvector).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import unicodedata
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, insert, text

REPO = Path(__file__).resolve().parents[1]
MIGRATIONS = REPO / "services" / "jobs" / "migrations"

CITIES = ["上海", "北京", "深圳", "杭州", "广州", "成都", "南京", "武汉", "西安", "苏州", "天津", "重庆", "长沙", "厦门"]
INDUSTRIES = ["互联网", "金融", "教育", "制造业", "医疗健康", "房地产", "咨询", "零售", "物流", "能源", "汽车", "传媒"]
DEGREES = ["专科", "本科", "本科", "本科", "硕士", "硕士", "博士"]
PREFIXES = ["", "", "高级", "资深", "初级", "2026届校招", "实习"]
ROLES = [
    "Python开发工程师", "Java后端开发工程师", "前端开发工程师", "测试开发工程师", "算法工程师", "数据分析师",
    "数据工程师", "运维工程师", "嵌入式软件工程师", "硬件工程师", "产品经理", "产品运营", "新媒体运营",
    "市场专员", "销售代表", "客户经理", "财务分析师", "会计", "审计助理", "投资分析师", "风险管理专员",
    "人力资源专员", "招聘专员", "行政助理", "法务专员", "英语教师", "数学教师", "课程顾问", "UI设计师",
    "平面设计师", "机械工程师", "电气工程师", "工艺工程师", "质量工程师", "供应链专员", "采购专员",
    "物流调度员", "药物研发员", "临床研究协调员", "医学编辑", "建筑设计师", "土木工程师", "造价工程师",
    "管培生", "储备干部", "Android开发工程师", "iOS开发工程师", "Go开发工程师", "C++开发工程师",
    "大数据开发工程师", "机器学习工程师", "Software Engineer", "Data Scientist", "Marketing Specialist",
]
SENTENCES = [
    "负责公司核心业务系统的设计与开发。", "参与需求分析、系统设计与代码评审。", "熟悉 Python 或 Java 语言，有良好的编程习惯。",
    "熟悉 MySQL、PostgreSQL 等关系型数据库。", "了解 Redis、Kafka 等中间件者优先。", "负责财务报表的编制与分析。",
    "协助完成预算管理与成本核算工作。", "熟练使用 Excel 及财务软件。", "负责新媒体平台的内容策划与运营。",
    "具备良好的沟通能力和团队合作精神。", "能够承受一定的工作压力，适应出差。", "负责客户关系维护与市场开拓。",
    "完成部门下达的销售指标。", "负责产品需求调研与竞品分析。", "撰写产品需求文档并推动项目落地。",
    "负责机器学习模型的训练、评估与上线。", "熟悉深度学习框架，如 PyTorch 或 TensorFlow。", "负责数据仓库建设与数据治理。",
    "使用 SQL 进行业务数据分析并输出报告。", "负责自动化测试框架的搭建与维护。", "编写测试用例并跟踪缺陷。",
    "负责服务器的部署、监控与故障排查。", "熟悉 Linux 操作系统和 Shell 脚本。", "负责招聘渠道维护与面试安排。",
    "协助办理员工入职、离职手续。", "负责合同审核与法律风险控制。", "负责课程教学与学生辅导工作。",
    "具有教师资格证者优先。", "负责机械结构设计与图纸绘制。", "熟练使用 AutoCAD、SolidWorks 等软件。",
    "负责生产工艺改进与质量控制。", "负责供应商开发与采购谈判。", "负责仓储物流的日常调度。",
    "参与新药研发项目的实验工作。", "协助开展临床试验的组织与协调。", "负责建筑方案设计与施工图深化。",
    "负责工程造价的编制与审核。", "公司提供五险一金、带薪年假和定期体检。", "提供完善的培训体系与晋升通道。",
    "工作地点交通便利，提供员工宿舍。", "表现优秀者可转正并获得签约机会。", "欢迎应届毕业生投递简历。",
    "Good command of English, both written and spoken.", "Experience with cloud platforms such as AWS is a plus.",
    "You will build scalable microservices and APIs.", "Strong analytical skills and attention to detail.",
    "负责 Android 客户端的开发与性能优化。", "负责 iOS 应用的架构设计与开发。", "熟悉 Go 语言及其并发模型。",
    "熟悉 C++ 编程，了解常用数据结构与算法。", "负责大数据平台的开发，熟悉 Hadoop、Spark。", "负责前端页面开发，熟悉 Vue 或 React。",
    "负责视觉设计与交互设计，有作品集者优先。", "参与投资项目的尽职调查与行业研究。", "负责信贷风险评估与模型监控。",
]
# Query shapes: (label, list of parameter sets cycled through).
SHAPES = [
    ("一个中文关键词", [{"q": "工程师"}, {"q": "财务"}, {"q": "运营"}, {"q": "数据"}, {"q": "负责"}]),
    ('"Python 开发"', [{"q": "Python 开发"}]),
    ("English word", [{"q": "python"}, {"q": "excel"}, {"q": "microservices"}, {"q": "english"}]),
    ("filters only", [{"city": "上海", "job_type": "full_time"}, {"degree": "硕士", "industry": "金融"},
                      {"salary_min": 15000, "salary_max": 25000}, {"city": "成都", "job_type": "intern"}]),
    ("keyword + filters", [{"q": "开发", "city": "北京", "salary_min": 10000},
                           {"q": "分析", "industry": "金融", "degree": "硕士"},
                           {"q": "工程师", "job_type": "full_time", "city": "深圳"},
                           # a common word with rare filters: the whole match list is walked
                           {"q": "工程师", "city": "成都", "job_type": "intern"}]),
    ("sort=newest + keyword", [{"q": "工程师", "sort": "newest"}, {"q": "Python", "sort": "newest"}]),
]


def _segment_pools():
    from services.jobs.domain.text import document_text

    titles = [(p + r, document_text(p + r)) for p in PREFIXES for r in ROLES]
    sentences = [(s, document_text(s)) for s in SENTENCES]
    return titles, sentences


def generate_rows(n: int, seed: int = 20260601) -> list[dict]:
    from services.jobs.domain.text import document_text

    rng = random.Random(seed)
    titles, sentences = _segment_pools()
    today = date.today()
    now = datetime.now(timezone.utc)
    rows = []
    for i in range(n):
        title, title_tokens = rng.choice(titles)
        chosen = rng.sample(sentences, rng.randint(3, 6))
        low = rng.randrange(2000, 30000, 500)
        published = now - timedelta(minutes=n - i)
        rows.append({
            "employer_id": rng.randint(1, 2000), "company_name": f"示例企业{rng.randint(1, 2000)}有限公司",
            "created_by": 1, "title": title, "description": "".join(s for s, _ in chosen),
            "city": rng.choice(CITIES), "salary_min": low, "salary_max": low + rng.randrange(1000, 20000, 500),
            "degree": rng.choice(DEGREES), "majors": [], "headcount": rng.randint(1, 10),
            "job_type": "intern" if "实习" in title or rng.random() < 0.15 else "full_time",
            "industry": rng.choice(INDUSTRIES),
            # about 10 % already past their deadline, so the public filter has something to drop
            "deadline": today + timedelta(days=rng.randint(-30, 300)),
            "status": "published", "search_title": title_tokens,
            "search_body": " ".join(t for _, t in chosen if t),
            "published_at": published, "created_at": published, "updated_at": published,
        })
    for row in rows[:200]:  # the shortcut above must equal segmenting the whole text
        assert row["search_body"] == document_text(row["description"]), row["description"]
    return rows


def load(url: str, rows: list[dict]) -> float:
    from cc_kit.db import make_engine
    from cc_kit.migrations import upgrade
    from services.jobs.models import Position

    upgrade(MIGRATIONS, url)
    engine = make_engine(url)
    started = time.perf_counter()
    table = Position.__table__
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(table), rows[i:i + 5000])
    # What a live database has after a bulk load: merged FTS segments / vacuumed and analysed tables.
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO position_fts(position_fts) VALUES ('optimize')"))
            conn.execute(text("ANALYZE"))
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE positions"))
    engine.dispose()
    return time.perf_counter() - started


def measure(url: str, iterations: int) -> dict[str, tuple[float, float, int]]:
    from cc_kit.config import Settings
    from cc_kit.db import Database
    from services.jobs.config import JobsSettings
    from services.jobs.http import create_app

    database = Database(url)
    app = create_app(Settings.from_env("jobs"), JobsSettings(), database=database)
    client = app.test_client()
    results = {}
    for label, variants in SHAPES:
        for params in variants:  # warm the caches once per variant
            assert client.get("/api/v1/jobs/positions", query_string=params).status_code == 200
        timings, totals = [], []
        for i in range(iterations):
            params = variants[i % len(variants)]
            started = time.perf_counter()
            response = client.get("/api/v1/jobs/positions", query_string=params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.json
            capped = response.headers.get("X-Total-Capped") == "true"
            totals.append(f"{json.loads(response.headers['X-Pagination'])['total']}{'+' if capped else ''}")
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(round(0.95 * len(timings))) - 1)]
        results[label] = (statistics.median(timings), p95, "/".join(dict.fromkeys(totals)))
    database.dispose()
    return results


def _pad(label: str, width: int) -> str:
    """Left-justify counting CJK characters as two columns."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in label)
    return label + " " * max(1, width - shown)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=40, help="requests per query shape and database")
    parser.add_argument("--pg-admin-url", default=os.environ.get(
        "TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    os.environ.setdefault("DATA_DIR", str(workdir))
    sqlite_url = f"sqlite:///{workdir / 'jobs.sqlite3'}"
    pg_name = f"bench_jobs_{uuid.uuid4().hex[:8]}"
    pg_url = args.pg_admin_url.rsplit("/", 1)[0] + "/" + pg_name
    admin = create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE \"{pg_name}\" ENCODING 'UTF8' TEMPLATE template0"))

    try:
        started = time.perf_counter()
        rows = generate_rows(args.rows)
        print(f"generated {len(rows):,} postings in {time.perf_counter() - started:.1f}s", flush=True)
        loaded = {"SQLite": load(sqlite_url, rows), "PostgreSQL": load(pg_url, rows)}
        print("loaded: " + ", ".join(f"{k} {v:.1f}s" for k, v in loaded.items()), flush=True)
        del rows
        figures = {"SQLite": measure(sqlite_url, args.iterations), "PostgreSQL": measure(pg_url, args.iterations)}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        admin.dispose()
        for path in workdir.glob("*"):
            path.unlink()
        workdir.rmdir()

    print(f"\nGET /api/v1/jobs/positions over {args.rows:,} postings, {args.iterations} requests per shape "
          f"(in-process Flask app; ms; goal p95 ≤ 50; hits = X-Pagination total per variant, + = capped)")
    header = _pad("query shape", 24) + "".join(f"{db + ' p50':>16}{'p95':>8}  {'hits':<22}" for db in figures)
    print(header)
    print("-" * len(header))
    for label, _ in SHAPES:
        line = _pad(label, 24)
        for db in figures:
            p50, p95, hits = figures[db][label]
            line += f"{p50:>16.1f}{p95:>8.1f}  {hits:<22}"
        print(line)
    worst = max(figures[db][label][1] for db in figures for label, _ in SHAPES)
    print(f"\nworst p95: {worst:.1f} ms ({'meets' if worst <= 50 else 'misses'} the 50 ms goal)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
