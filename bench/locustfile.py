"""Members browsing the fax history, for locust (bench/browsing.py runs it headless).

Each simulated member signs in with one of the sessions listed in BENCH_MEMBERS (a JSON
file: cookie header -> that member's history pages), then opens one of their pages after
another, reading each for 1 to 3 s before the next click.
"""

import itertools
import json
import os
import random
from pathlib import Path

from locust import HttpUser, between, task

MEMBERS = list(json.loads(Path(os.environ["BENCH_MEMBERS"]).read_text()).items())
_next_member = itertools.count()


class Member(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        cookie, self.pages = MEMBERS[next(_next_member) % len(MEMBERS)]
        self.client.headers["Cookie"] = cookie
        random.shuffle(self.pages)
        self.turns = itertools.cycle(self.pages)

    @task
    def open_a_page(self) -> None:
        # One row in the figures for every page: the member's queries differ, the view not.
        path = next(self.turns)
        with self.client.get(
            path, name="history page", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:  # a redirect to the sign-in page is a failure
                response.failure(f"{path} answered {response.status_code}")
