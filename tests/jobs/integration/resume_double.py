"""Test double of the resume service's RPC contract, for jobs' own integration tests.

It implements `resume.get_delivery_snapshot(student_id)` exactly as the common brief specifies
({resume_id, kind, title, completeness, missing, snapshot}) and lets a test decide each student's
answer, so the tests can pin completeness at 59 / 60 and count the calls. It runs as a real nameko
service on the test session's private vhost: jobs reaches it over the real broker. The cross-service
test (test_resume_rpc.py) talks to the real resume worker instead.
"""
from __future__ import annotations

import copy
from collections import Counter

import eventlet
from nameko.rpc import rpc

NO_DEFAULT = {"resume_id": None, "kind": None, "title": None, "completeness": 0, "missing": ["default_resume"],
              "snapshot": None}


def snapshot_answer(completeness: int, *, resume_id: int = 501, name: str = "张三", missing=()) -> dict:
    return {
        "resume_id": resume_id, "kind": "zh", "title": "我的中文简历", "completeness": completeness,
        "missing": list(missing),
        "snapshot": {"resume_id": resume_id, "kind": "zh", "title": "我的中文简历",
                     "basic_info": {"name": name, "phone": "13800138000", "email": "zhangsan@example.edu.cn"},
                     "education": [{"school": "示例大学", "major": "软件工程", "degree": "本科", "start": "2022-09",
                                    "end": "2026-06"}],
                     "skills": ["Python", "SQL"]},
    }


class ResumeDouble:
    name = "resume"

    answers: dict[int, dict] = {}
    calls: Counter = Counter()
    delay: float = 0.0

    @classmethod
    def reset(cls):
        cls.answers.clear()
        cls.calls.clear()
        cls.delay = 0.0

    @classmethod
    def answer(cls, student_id: int, answer: dict):
        cls.answers[int(student_id)] = answer

    @rpc
    def get_delivery_snapshot(self, student_id):
        type(self).calls[int(student_id)] += 1
        if self.delay:
            eventlet.sleep(self.delay)  # holds every concurrent applicant past jobs' pre-check
        return copy.deepcopy(self.answers.get(int(student_id), NO_DEFAULT))
