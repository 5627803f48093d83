"""The fault table: each fault a user can meet, against a loopback server, with the
outcome, the requests the server saw, and the time taken.

    python bench/faults.py

Uses the test suite's scriptable server (tests/faultserver.py) and the embedded
model's recorded brief of the seed article as the good answer; the faulty
answers are synthetic. Default retry policy except where a row says otherwise.
"""

from __future__ import annotations

import email.utils
import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarize import Article, Settings, SummarizeError, summarize  # noqa: E402
from summarize._cli import exit_code  # noqa: E402
from summarize._transport import RetryPolicy  # noqa: E402
from tests.faultserver import Drop, FaultServer, Reply, completion  # noqa: E402
from tests.test_faults import SECRET, recorded_answer  # noqa: E402

ARTICLE = Article.from_text(
    (ROOT / "fixtures/articles/trump-putin-call-2025-02-13.txt").read_text()
)
GOOD = completion(recorded_answer())


def with_point(point: str) -> dict:
    brief = json.loads(recorded_answer())
    brief["key_points"][0] = {"point": point}
    return completion(json.dumps(brief))


def with_actor(name: str) -> dict:
    brief = json.loads(recorded_answer())
    brief["actors"][0]["name"] = name
    return completion(json.dumps(brief))


def no_choices() -> dict:
    body = completion("x")
    body["choices"] = []
    return body


busy = {"error": {"message": "busy"}}
SCENARIOS = [
    (
        "429 + Retry-After: 2 (seconds)",
        [Reply(429, busy, {"Retry-After": "2"}), Reply(200, GOOD)],
        {},
    ),
    ("429 + Retry-After (HTTP date, +2 s)", "date", {}),
    ("429 without Retry-After", [Reply(429, busy), Reply(200, GOOD)], {}),
    ("500", [Reply(500, busy), Reply(200, GOOD)], {}),
    ("502", [Reply(502, busy), Reply(200, GOOD)], {}),
    ("503", [Reply(503, busy), Reply(200, GOOD)], {}),
    ("503 every time", [Reply(503, busy)] * 10, {}),
    (
        "429 + Retry-After: 30, every time, max 5 s",
        [Reply(429, busy, {"Retry-After": "30"})] * 10,
        {"retry": RetryPolicy(max_seconds=5)},
    ),
    ("connection dropped mid-response", [Drop(GOOD), Reply(200, GOOD)], {}),
    (
        "read timeout (answer after 3 s, timeout 1 s)",
        [Reply(200, GOOD, delay=3), Reply(200, GOOD)],
        {"timeout": 1.0},
    ),
    ("connection refused", "refused", {}),
    ("401 bad key", [Reply(401, {"error": {"message": "Incorrect API key provided"}})], {}),
    ("invalid JSON", [Reply(200, completion('{"headline": "Tru')), Reply(200, GOOD)], {}),
    ("JSON of the wrong shape", [Reply(200, completion('{"title": "x"}')), Reply(200, GOOD)], {}),
    (
        "truncated (finish_reason: length), twice",
        [Reply(200, completion('{"headline": "Tru', finish_reason="length"))] * 2,
        {},
    ),
    ("empty choices", [Reply(200, no_choices())] * 3, {}),
    ("refusal", [Reply(200, completion(None, refusal="I can't help")), Reply(200, GOOD)], {}),
    (
        "key point the article does not state, once",
        [Reply(200, with_point("Putin vowed total victory by Easter")), Reply(200, GOOD)],
        {},
    ),
    (
        "key point the article does not state, every time",
        [Reply(200, with_point("Putin vowed total victory by Easter"))] * 3,
        {},
    ),
    (
        "same, --lenient",
        [Reply(200, with_point("Putin vowed total victory by Easter"))] * 3,
        {"lenient": True},
    ),
    (
        "actor the article never names",
        [Reply(200, with_actor("Emmanuel Macron")), Reply(200, GOOD)],
        {},
    ),
]


def main() -> None:
    logging.getLogger("instructor").addHandler(logging.NullHandler())  # it logs each attempt
    print("| fault | outcome | requests | time (s) |\n|---|---|---|---|")
    for name, script, options in SCENARIOS:
        with FaultServer() as server:
            url = server.url
            if script == "date":
                when = email.utils.formatdate(time.time() + 2, usegmt=True)
                script = [Reply(429, busy, {"Retry-After": when}), Reply(200, GOOD)]
            if script == "refused":
                server.httpd.shutdown()
                server.httpd.server_close()
                script = []
            server.script = list(script)
            settings = Settings(model="m", base_url=url, api_key=SECRET, **options)
            started = time.monotonic()
            try:
                result = summarize(ARTICLE, settings)
                outcome = "brief" + (
                    f", {len(result.dropped)} item(s) left out" if result.dropped else ""
                )
            except SummarizeError as error:
                outcome = f"{type(error).__name__} (exit {exit_code(error)}): {str(error)[:90]}"
                assert SECRET not in str(error)
            took = time.monotonic() - started
            print(f"| {name} | {outcome} | {len(server.requests)} | {took:.1f} |")


if __name__ == "__main__":
    main()
