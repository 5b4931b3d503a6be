"""auth's nameko RPC contracts, served by a real container over the test RabbitMQ vhost."""
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.auth.domain import accounts, staff
from services.auth.service import AuthService

from ..conftest import migrated
from ..unit.helpers import employer, student


@pytest.fixture
def seeded(db_url, data_dir, monkeypatch):
    monkeypatch.setenv("AUTH_DATABASE_URL", db_url)
    db = migrated(db_url)
    ids = {"zw": student(db, "2022010101"), "wf": student(db, "2022010102"), "ln": student(db, "2022010103"),
           "ly": student(db, "2022020101")}
    admin_id, _ = staff.ensure_admin(db, email="a@x.example", password="Admin#2026x", name="管理员",
                                     school_code="10001", only_if_none=False)
    ids["admin"] = admin_id
    ids["employer"] = employer(db, approve_by=admin_id)["id"]
    with db.write() as session:
        accounts.set_privacy(session, accounts.get_active_user(session, ids["wf"]), "public", False)
    yield ids
    db.dispose()


@pytest.fixture
def rpc(seeded, container_factory, amqp_uri):
    config = {"AMQP_URI": amqp_uri, "serializer": "json"}
    container = container_factory(AuthService, config)
    container.start()
    with ClusterRpcProxy(config, timeout=20) as proxy:
        yield proxy.auth
    container.stop()


def _check_get_contact(rpc, seeded):
    assert rpc.get_contact(seeded["zw"]) == {"user_id": seeded["zw"], "role": "student", "name": "张伟",
                                             "email": "s2022010101@mail.example", "phone": "13812345678"}
    assert rpc.get_contact(seeded["admin"])["role"] == "school_admin"
    assert rpc.get_contact(987654) is None
    assert rpc.get_contact("not-an-id") is None and rpc.get_contact(10 ** 20) is None


def _check_get_student(rpc, seeded):
    assert rpc.get_student(seeded["ln"]) == {
        "user_id": seeded["ln"], "school_code": "10001", "student_no": "2022010103", "name": "李娜",
        "college": "计算机学院", "major": "人工智能", "degree": "硕士", "graduation_year": 2026, "gender": "女",
        "email": "s2022010103@mail.example", "phone": "13812345678"}
    assert rpc.get_student(seeded["admin"]) is None
    assert rpc.get_student(987654) is None
    assert rpc.get_student_by_number(school_code="10001", student_no="2022010103")["user_id"] == seeded["ln"]
    assert rpc.get_student_by_number(school_code="10001", student_no="2022010104") is None


def _check_get_privacy(rpc, seeded):
    assert rpc.get_privacy(seeded["wf"]) == {"resume_visibility": "public", "show_contact": False}
    assert rpc.get_privacy(seeded["zw"]) == {"resume_visibility": "applied_only", "show_contact": True}


def _check_find_students(rpc, seeded):
    assert rpc.find_students() == sorted([seeded["zw"], seeded["wf"], seeded["ln"], seeded["ly"]])
    assert rpc.find_students(colleges=["计算机学院"]) == sorted([seeded["zw"], seeded["wf"], seeded["ln"]])
    assert rpc.find_students(majors=["软件工程"], graduation_years=[2026]) == sorted([seeded["zw"], seeded["wf"]])
    assert rpc.find_students(graduation_years=[2025], school_code="10001") == [seeded["ly"]]
    assert rpc.find_students(colleges=["外语学院"]) == []
    assert rpc.find_students(school_code="99999") == []


def _check_get_employer(rpc, seeded):
    found = rpc.get_employer(seeded["employer"])
    assert found["status"] == "approved" and found["credit_code"] == "91440300MA5FXH2K0H"
    assert rpc.get_employer(424242) is None


def test_rpc_contracts(rpc, seeded):
    """Every RPC method on one running container (starting one costs seconds)."""
    _check_get_contact(rpc, seeded)
    _check_get_student(rpc, seeded)
    _check_get_privacy(rpc, seeded)
    _check_find_students(rpc, seeded)
    _check_get_employer(rpc, seeded)
