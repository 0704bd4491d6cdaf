"""Properties of the fakes over generated input: pages cover a listing exactly once, and
concurrent writers never share an issue number or lose a delivery."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrunner.emulator.fake_github import GitHubFake
from qrunner.emulator.fake_webhook import WebhookFake, signature_headers
from tests.emulator.conftest import HOOK_SECRET, REPO, TOKEN

AUTH = {"Authorization": f"token {TOKEN}"}
LABELS = ("qrunner", "owner:a", "owner:b")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    labels=st.lists(st.sets(st.sampled_from(LABELS)), max_size=40),
    closed=st.sets(st.integers(1, 40)),
    per_page=st.integers(1, 12),
    wanted=st.sampled_from(LABELS),
)
def test_following_next_lists_each_matching_issue_once_newest_first(
    labels: list[set[str]], closed: set[int], per_page: int, wanted: str
) -> None:
    with GitHubFake(repo=REPO, token=TOKEN) as gh, httpx.Client(headers=AUTH) as client:
        for number, names in enumerate(labels, 1):
            gh.add_issue(f"i{number}", labels=sorted(names))
            if number in closed:
                gh.close_as_person(number)
        expected = [
            n for n in range(len(labels), 0, -1) if wanted in labels[n - 1] and n not in closed
        ]
        url = f"{gh.url}/repos/{REPO}/issues?labels={wanted}&per_page={per_page}"
        seen: list[int] = []
        while url:
            page = client.get(url)
            assert 1 <= len(page.json()) <= per_page or not expected
            seen += [issue["number"] for issue in page.json()]
            found = re.search(r'<([^>]+)>; rel="next"', page.headers.get("link", ""))
            url = found.group(1) if found else ""
        assert seen == expected
        assert gh.count("GET") == max(1, -(-len(expected) // per_page))


def test_concurrent_creations_get_distinct_numbers() -> None:
    with GitHubFake(repo=REPO, token=TOKEN) as gh:

        def create(n: int) -> int:
            answer = httpx.post(
                f"{gh.url}/repos/{REPO}/issues", json={"title": f"t{n}"}, headers=AUTH
            )
            return int(answer.json()["number"])

        with ThreadPoolExecutor(8) as pool:
            numbers = list(pool.map(create, range(40)))
        assert sorted(numbers) == list(range(1, 41))
        assert len(gh.requests) == 40


def test_concurrent_retries_of_one_key_deliver_it_once() -> None:
    body = json.dumps({"event": "firing"}).encode()
    with WebhookFake(secret=HOOK_SECRET) as hook:

        def post(key: str) -> int:
            headers = {**signature_headers(HOOK_SECRET, body), "Idempotency-Key": key}
            return httpx.post(hook.hook_url, content=body, headers=headers).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(post, ["k1", "k2"] * 12))
        assert statuses == [200] * 24
        assert sorted(hook.keys()) == ["k1", "k2"] and hook.duplicates == 22
