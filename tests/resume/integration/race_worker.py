"""Races one student's resumes from real OS threads (run as a subprocess: pytest's process is eventlet-patched).

    python -m tests.resume.integration.race_worker URL switch STUDENT --ids 1,2,3 --threads 8 --rounds 25
    python -m tests.resume.integration.race_worker URL create STUDENT --threads 12

Prints {"done": n, "refused": {code: n}, "errors": [..]} as JSON.
"""
from __future__ import annotations

import argparse
import collections
import json
import threading

from cc_kit.db import Database
from cc_kit.errors import ApiError
from services.resume.domain import resumes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("mode", choices=["switch", "create"])
    parser.add_argument("student", type=int)
    parser.add_argument("--ids", default="")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    ids = [int(i) for i in args.ids.split(",") if i]
    db = Database(args.url, pool_size=args.threads) if not args.url.startswith("sqlite") else Database(args.url)
    start = threading.Barrier(args.threads)
    lock = threading.Lock()
    done, refused, errors = [0], collections.Counter(), []

    def work(n: int) -> None:
        start.wait()  # every thread begins at once
        for r in range(args.rounds):
            try:
                with db.write() as session:
                    if args.mode == "switch":
                        resumes.set_default(session, args.student, ids[(n + r) % len(ids)])
                    else:
                        resumes.create_resume(session, args.student, {"kind": "zh"})
                with lock:
                    done[0] += 1
            except ApiError as exc:
                with lock:
                    refused[exc.code] += 1
            except Exception as exc:  # a deadlock or a lost lock would show up here
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.dispose()
    print(json.dumps({"done": done[0], "refused": dict(refused), "errors": errors[:5]}))


if __name__ == "__main__":
    main()
