"""One racer of test_outbox's first_time race: `python -m tests.events.claim_race <db url> <count> <start file>`.

Claims event ids 0..count-1 (shuffled), each in its own transaction together with an effect row, and
prints how many claims it won.
"""
from __future__ import annotations

import os
import random
import sys
import time

from cc_kit.db import Database
from cc_kit.outbox import first_time

from .consumer_app import Effect, ProcessedEvent


def main() -> None:
    url, count, start_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    db = Database(url)
    ids = [f"race-{i}" for i in range(count)]
    random.shuffle(ids)
    while not os.path.exists(start_file):  # every racer starts at the same moment
        time.sleep(0.005)
    won = 0
    for event_id in ids:
        with db.write() as session:
            if first_time(session, ProcessedEvent, event_id, "race.handler"):
                session.add(Effect(service="race", event_id=event_id, n=0, pid=os.getpid()))
                won += 1
    print(won)


if __name__ == "__main__":
    main()
