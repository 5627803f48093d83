"""Faults against a real loopback server (tests/faultserver.py): bounded retries, clear
errors, re-asks that carry the validation error, and no leaked key.

The successful answer is the embedded model's recorded brief of the seed article
(fixtures/recordings/seed_brief.yaml). The faulty answers are SYNTHETIC: written
here by hand for faults no model produces on demand.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import subprocess
import sys
import tempfile
import time

import pytest
import yaml

from summarize import (
    Article,
    ArticleTooLongError,
    ConfigurationError,
    GroundingError,
    ModelError,
    Settings,
    asummarize,
    summarize,
)
from summarize._transport import RetryPolicy
from tests.conftest import FIXTURES, SEED
from tests.faultserver import Drop, FaultServer, Reply, Stream, chunks_of, completion

SECRET = "sk-test-FAULTS-0123456789abcdefghij"
FAST = RetryPolicy(max_attempts=3, max_seconds=20, initial_wait=0.05, max_wait=0.1)


def recorded_answer() -> str:
    """The content of the embedded model's last (accepted) answer for the seed article."""
    cassette = yaml.safe_load((FIXTURES / "recordings" / "seed_brief.yaml").read_text())
    answers = [
        json.loads(interaction["response"]["body"]["string"])["choices"][0]["message"]["content"]
        for interaction in cassette["interactions"]
    ]
    return [answer for answer in answers if '"headline"' in answer][-1]


GOOD = completion(recorded_answer())
SEED_ARTICLE_TEXT = SEED.read_text(encoding="utf-8")


def run(server: FaultServer, article: Article, **options):
    settings = Settings(
        model="test-model",
        base_url=server.url,
        api_key=SECRET,
        retry=FAST,
        max_reasks=1,
    )
    return summarize(article, settings, **options)


# Transport faults ----------------------------------------------------------------


def test_429_with_retry_after_seconds_waits_as_told(server, article):
    server.script = [
        Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "1"}),
        Reply(200, GOOD),
    ]
    started = time.monotonic()
    result = run(server, article)
    assert time.monotonic() - started >= 1.0
    assert len(server.requests) == 2
    assert "Trump" in " ".join(a.name for a in result.brief.actors)


def test_429_with_retry_after_date_waits_as_told(server, article):
    when = email.utils.formatdate(time.time() + 2, usegmt=True)
    server.script = [
        Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": when}),
        Reply(200, GOOD),
    ]
    started = time.monotonic()
    run(server, article)
    assert time.monotonic() - started >= 0.9  # an HTTP date has whole seconds
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_transient_statuses_are_retried(server, article, status):
    server.script = [Reply(status, {"error": {"message": "busy"}}), Reply(200, GOOD)]
    assert run(server, article).brief.headline
    assert len(server.requests) == 2


def test_a_connection_dropped_mid_response_is_retried(server, article):
    server.script = [Drop(GOOD), Reply(200, GOOD)]
    assert run(server, article).brief.headline
    assert len(server.requests) == 2


def test_a_read_timeout_is_retried(server, article):
    server.script = [Reply(200, GOOD, delay=2.0), Reply(200, GOOD)]
    assert run(server, article, timeout=0.5).brief.headline
    assert len(server.requests) == 2


def test_retries_are_bounded_and_do_not_stack_with_the_clients_own(server, article):
    server.script = [Reply(503, {"error": {"message": "down"}}) for _ in range(10)]
    with pytest.raises(ModelError) as caught:
        run(server, article)
    assert len(server.requests) == FAST.max_attempts  # ours only: openai's retries are off
    message = str(caught.value)
    assert "HTTP 503" in message and server.url in message
    assert SECRET not in message


def test_total_retry_time_is_bounded(server, article):
    policy = RetryPolicy(max_attempts=10, max_seconds=1.0)
    server.script = [
        Reply(429, {"error": {"message": "x"}}, {"Retry-After": "30"}) for _ in range(10)
    ]
    started = time.monotonic()
    with pytest.raises(ModelError, match="rate limiting"):
        run(server, article, retry=policy)
    assert time.monotonic() - started < 5


def test_connection_refused_names_the_endpoint_not_the_key(article):
    with FaultServer() as server:
        url = server.url
    # The server is closed: nothing listens on that port any more.
    settings = Settings(model="m", base_url=url, api_key=SECRET, retry=FAST)
    with pytest.raises(ModelError) as caught:
        summarize(article, settings)
    message = str(caught.value)
    assert f"cannot reach compatible/m at {url}" in message
    assert SECRET not in message


def test_a_rejected_key_is_a_configuration_error_without_the_key(server, article):
    # Synthetic: OpenAI's 401 body echoes part of the key.
    body = {"error": {"message": f"Incorrect API key provided: {SECRET[:8]}***{SECRET[-4:]}"}}
    server.script = [Reply(401, body)]
    with pytest.raises(Exception) as caught:
        run(server, article)
    assert type(caught.value).__name__ == "ConfigurationError"
    assert "refused the API key" in str(caught.value)
    assert SECRET[:8] not in str(caught.value)


# Content faults (synthetic answers) ---------------------------------------------


def last_user_message(request: dict) -> str:
    return request["json"]["messages"][-1]["content"]


@pytest.mark.parametrize(
    ("bad", "error_text"),
    [
        (completion('{"headline": "Trump and Putin'), "EOF while parsing"),
        (completion('{"title": "not a brief"}'), "Field required"),
        (completion(None, refusal="I can't help with that."), ""),
    ],
    ids=["invalid-json", "wrong-shape", "refusal"],
)
def test_bad_answers_are_re_asked_with_the_error(server, article, bad, error_text):
    server.script = [Reply(200, bad), Reply(200, GOOD)]
    result = run(server, article)
    assert result.attempts == 2
    assert len(server.requests) == 2
    assert error_text in last_user_message(server.requests[1])


# A point the article does not make: no sentence of it holds these words.
INVENTED_POINT = "Everyone must withdraw every soldier by Easter."


def answer_with(change) -> dict:
    """SYNTHETIC: the recorded answer with ``change`` made to it."""
    prose = json.loads(recorded_answer())
    change(prose)
    return completion(json.dumps(prose))


def test_a_point_the_article_does_not_state_is_re_asked_then_refused(server, article):
    bad = answer_with(lambda prose: prose["key_points"].__setitem__(0, INVENTED_POINT))
    server.script = [Reply(200, bad), Reply(200, bad)]
    with pytest.raises(GroundingError) as caught:
        run(server, article)
    assert len(server.requests) == 2
    # The re-ask says where the article is nearest, not what the model wrote: a small
    # model shown its invented point writes it again.
    reask = last_user_message(server.requests[1])
    assert "- Key point 1 is not what the article says" in reask
    assert "withdraw" not in reask and "Easter" not in reask
    # The reader is told what the model wrote.
    assert "Key point 'Everyone must withdraw every soldier by Easter.' is not what the" in str(
        caught.value
    )


def quoted_speaker(prose: dict) -> str:
    return next(name for name, said in prose["actors"].items() if said["says"])


def test_a_stance_their_quotes_do_not_state_becomes_their_own_words_without_a_reask(
    server, article
):
    speaker = quoted_speaker(json.loads(recorded_answer()))

    def invent(prose: dict) -> None:
        prose["actors"][speaker]["says"] = "withdraw every soldier by Easter"

    server.script = [Reply(200, answer_with(invent))]
    result = run(server, article)
    assert result.attempts == 1 and len(server.requests) == 1
    (actor,) = [a for a in result.brief.actors if a.name == speaker]
    assert actor.stance in actor.quotes and actor.stance in article.text
    assert [d for d in result.dropped if d.startswith(f"stance of {speaker} ")] == [
        f"stance of {speaker} ('withdraw every soldier by Easter'): not what their quotes say;"
        f" their words {actor.stance!r} stand for it"
    ]


def unasked(prose: dict) -> None:
    prose["open_questions"][0]["question"] = "What Ukraine will do next"


def test_a_question_that_is_no_question_is_re_asked_and_why_is_logged(server, article, caplog):
    server.script = [Reply(200, answer_with(unasked)), Reply(200, GOOD)]
    with caplog.at_level(logging.INFO, logger="summarize"):
        assert run(server, article).attempts == 2
    reask = last_user_message(server.requests[1])
    assert "- open_questions.0: An open question must be one short question ending with" in reask
    # Only what failed, in words: not pydantic's codes, the rejected values or its links.
    assert "value_error" not in reask and "input_value" not in reask and "http" not in reask
    (why,) = [r.getMessage() for r in caplog.records if "failed its checks" in r.getMessage()]
    assert why.startswith("Answer 1 failed its checks: Open question 'What Ukraine will do next'")


def test_a_re_ask_tells_what_failed_in_every_answer_rejected_so_far(server, article):
    # Not shown its answers, a model told only of the last one's mistakes makes the
    # first one's again.
    invented = answer_with(lambda prose: prose["key_points"].__setitem__(0, INVENTED_POINT))
    server.script = [Reply(200, answer_with(unasked)), Reply(200, invented), Reply(200, GOOD)]
    assert run(server, article, max_reasks=2).attempts == 3
    second, third = (last_user_message(request) for request in server.requests[1:])
    assert second.count("\n- ") == 1 and "ending with '?'" in second
    assert third.count("\n- ") == 2 and "ending with '?'" in third
    assert "Key point 1 is not what the article says" in third
    # The next brief starts afresh: nothing of this one's rejections is told.
    server.script = [Reply(200, completion('{"headline": "Wrong')), Reply(200, GOOD)]
    run(server, article)
    assert "ending with '?'" not in last_user_message(server.requests[-1])


def test_re_asks_restate_the_request_without_the_rejected_answer_and_sample(server, article):
    rejected = '{"headline": "A brief the model got wrong'
    server.script = [Reply(200, completion(rejected)), Reply(200, GOOD)]
    run(server, article)
    first, again = (r["json"] for r in server.requests)
    assert (first["temperature"], again["temperature"]) == (0.0, 0.7)
    # Sampled from a seed of its own, so that it does not hang on what the server
    # sampled before: the settings' seed plus the number of answers rejected.
    assert "seed" not in first and again["seed"] == 1
    assert again["messages"][:2] == first["messages"]  # the same request...
    assert [m["role"] for m in again["messages"]] == ["system", "user", "user"]
    assert rejected not in json.dumps(again["messages"])  # ...without the answer to copy
    assert "rejected" in again["messages"][-1]["content"]


def test_re_asks_without_a_seed_leave_it_to_the_server(server, article):
    server.script = [Reply(200, completion('{"headline": "Wrong')), Reply(200, GOOD)]
    run(server, article, reask_seed=None)
    assert "seed" not in server.requests[1]["json"]


CUT = completion('{"headline": "Tru', finish_reason="length")


def test_an_answer_cut_at_the_token_limit_is_asked_for_once_more_sampled(server, article):
    server.script = [Reply(200, CUT), Reply(200, GOOD)]
    result = run(server, article)
    first, again = (r["json"] for r in server.requests)
    assert (first["temperature"], again["temperature"]) == (0.0, 0.7)
    assert "seed" not in first and again["seed"] == 0  # the settings' seed
    assert again["messages"] == first["messages"]  # the same request, sampled
    assert result.attempts == 2
    assert result.usage.total_tokens == 300  # the cut answer's tokens count too


def test_the_async_path_asks_once_more_too(server, article):
    server.script = [Reply(200, CUT), Reply(200, GOOD)]
    settings = Settings(model="test-model", base_url=server.url, api_key=SECRET, retry=FAST)
    result = asyncio.run(asummarize(article, settings))
    assert [r["json"]["temperature"] for r in server.requests] == [0.0, 0.7]
    assert result.brief.headline and result.attempts == 2


def test_output_cut_at_the_token_limit_twice_is_a_clear_error(server, article):
    server.script = [Reply(200, CUT), Reply(200, CUT), Reply(200, GOOD)]
    with pytest.raises(ModelError, match=r"output limit.*--max-tokens"):
        run(server, article)
    assert len(server.requests) == 2


def test_no_choices_is_a_model_error(server, article):
    empty = completion("x")
    empty["choices"] = []
    server.script = [Reply(200, empty), Reply(200, empty)]
    with pytest.raises(ModelError, match=r"sent an empty answer \(no choices\)"):
        run(server, article)


# The command line ------------------------------------------------------------------


def cli(server: FaultServer, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "summarize", str(SEED), "--base-url", server.url]
    with tempfile.TemporaryDirectory(prefix="summarize-test-cache-") as cache:
        return subprocess.run(
            [*command, "-m", "m", "--max-attempts", "2", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={
                "OPENAI_API_KEY": SECRET,
                "PATH": "",
                "NO_COLOR": "1",
                "SUMMARIZE_CACHE_DIR": cache,
            },
        )


def test_cli_says_what_to_do_about_a_refused_brief(server):
    bad = Reply(200, completion(json.dumps({**json.loads(recorded_answer()), "headline": ""})))
    server.script = [bad, bad]
    result = cli(server, "--max-reasks", "1", "--reask-seed", "7")
    assert result.returncode == 5
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("summarize: error: the brief from") and "--reask-seed" in line
    assert server.requests[1]["json"]["seed"] == 8  # the seed given, plus one answer rejected


def test_cli_reports_a_server_fault_in_one_line_without_the_key(server):
    server.script = [Reply(500, {"error": {"message": "boom"}}) for _ in range(2)]
    result = cli(server, "-v")
    assert result.returncode == 4
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("summarize: error: ")
    assert SECRET not in result.stderr + result.stdout


def test_cli_verbose_logs_never_show_the_key(server):
    # Synthetic 401 whose message echoes the key, as some servers do.
    server.script = [Reply(401, {"error": {"message": f"Incorrect API key provided: {SECRET}"}})]
    result = cli(server, "-v")
    assert result.returncode == 3
    assert "Incorrect API key" in result.stderr  # the server's words are logged...
    assert SECRET not in result.stderr + result.stdout  # ...without the key


def test_cli_reports_a_failed_grounding_with_exit_code_5(server):
    bad = answer_with(lambda prose: prose["key_points"].__setitem__(0, INVENTED_POINT))
    server.script = [Reply(200, bad) for _ in range(3)]
    result = cli(server)
    assert result.returncode == 5
    assert len(result.stderr.strip().splitlines()) == 1
    assert "failed validation after 3 attempts" in result.stderr


def test_cli_succeeds_after_a_transient_fault(server):
    server.script = [Reply(503, {"error": {"message": "busy"}}), Reply(200, GOOD)]
    result = cli(server, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["headline"]


# Lenient mode (opt-in) -------------------------------------------------------------


def invented_stance(prose: dict) -> None:
    prose["actors"][quoted_speaker(prose)]["says"] = "withdraw every soldier by Easter"


def too_few_stated(prose: dict) -> None:
    """Two of the key points stated: fewer than a brief needs, so the answer fails."""
    prose["key_points"] = [INVENTED_POINT, *prose["key_points"][:2]]


def test_lenient_mode_leaves_out_what_failed_and_says_so(server, article):
    def invent(prose: dict) -> None:
        too_few_stated(prose)
        invented_stance(prose)

    bad = answer_with(invent)
    server.script = [Reply(200, bad), Reply(200, bad)]
    result = run(server, article, lenient=True)
    speaker = quoted_speaker(json.loads(recorded_answer()))
    assert INVENTED_POINT not in [p.point for p in result.brief.key_points]
    assert len(result.brief.key_points) == 2
    stance = next(a for a in result.brief.actors if a.name == speaker).stance
    assert stance != "withdraw every soldier by Easter" and stance in article.text
    assert any(INVENTED_POINT in item for item in result.dropped)
    assert any(item.startswith(f"stance of {speaker} ") for item in result.dropped)
    assert result.usage.total_tokens == 300  # both attempts counted


def test_lenient_mode_is_not_the_default(server, article):
    bad = answer_with(too_few_stated)
    server.script = [Reply(200, bad), Reply(200, bad)]
    with pytest.raises(GroundingError):
        run(server, article)


def test_cli_lenient_lists_what_was_left_out(server):
    bad = answer_with(too_few_stated)
    server.script = [Reply(200, bad) for _ in range(3)]
    result = cli(server, "--lenient", "--json")
    assert result.returncode == 0, result.stderr
    assert "summarize: left out: key point 'Everyone must withdraw" in result.stderr
    assert "withdraw every soldier" not in result.stdout


# Live output: streaming, for every backend that streams ---------------------------


@pytest.mark.parametrize("mode", ["json_schema", "tools"])
def test_on_text_sees_the_answer_grow_and_the_brief_is_still_checked(server, article, mode):
    content = recorded_answer()
    server.script = [Stream(chunks_of(content, tool=mode == "tools"))]
    seen: list[str] = []
    result = run(server, article, mode=mode, on_text=seen.append)
    assert server.requests[0]["json"]["stream"] is True
    assert len(seen) > 10 and seen[-1] == content
    assert all(seen[i].startswith(seen[i - 1]) for i in range(1, len(seen)))
    assert result.brief.headline and result.usage.total_tokens == 150


@pytest.mark.parametrize("mode", ["json_schema", "tools"])
def test_the_request_carries_the_messages_and_the_schema_for_each_mode(server, article, mode):
    # They are sent past openai's request transforms (summarize._client._SENT_AS_IS).
    server.script = [Stream(chunks_of(recorded_answer(), tool=mode == "tools"))]
    run(server, article, mode=mode, on_text=lambda text: None)
    sent = server.requests[0]["json"]
    assert sent["model"] == "test-model" and sent["max_tokens"] == 2048
    assert sent["temperature"] == 0.0
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert "Zelensky" in sent["messages"][1]["content"]
    if mode == "tools":
        assert sent["tools"][0]["function"]["parameters"]["properties"]["actors"]
        assert sent["tool_choice"]["function"]["name"] == sent["tools"][0]["function"]["name"]
    else:
        assert sent["response_format"]["json_schema"]["schema"]["properties"]["actors"]


def test_a_streamed_answer_that_fails_validation_is_re_asked(server, article):
    bad = answer_with(unasked)["choices"][0]["message"]["content"]
    server.script = [Stream(chunks_of(bad)), Stream(chunks_of(recorded_answer()))]
    result = run(server, article, on_text=lambda text: None)
    assert result.attempts == 2


# Long input, and secrets -------------------------------------------------------------


def test_an_article_too_long_for_the_model_is_a_clear_input_error(server):
    huge = Article(text="The council met again. " * 2_000)
    body = {
        "error": {
            "message": "This model's maximum context length is 128000 tokens.",
            "type": "invalid_request_error",
            "code": "context_length_exceeded",
        }
    }
    server.script = [Reply(400, body)]
    with pytest.raises(ArticleTooLongError, match="too long for compatible/test-model"):
        run(server, huge)
    assert len(server.requests) == 1  # not retried, never truncated
    assert len(server.requests[0]["json"]["messages"][1]["content"]) > 46_000


def test_cli_says_an_article_is_too_long_with_exit_code_2(server, tmp_path):
    body = {"error": {"message": "context too long", "code": "context_length_exceeded"}}
    server.script = [Reply(400, body)]
    long_article = tmp_path / "long.txt"
    long_article.write_text("The council met again. " * 220_000)
    result = subprocess.run(
        [sys.executable, "-m", "summarize", str(long_article), "--base-url", server.url, "-m", "m"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "", "NO_COLOR": "1", "SUMMARIZE_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("summarize: error: the article is too long")


def test_no_secret_in_any_fixture_or_recording():
    for path in FIXTURES.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace").lower()
            assert "authorization" not in text, path
            assert "bearer " not in text and "sk-" not in text, path


def test_a_server_without_a_model_named_is_sent_the_model_it_serves(server, article):
    server.script = [Reply(200, GOOD)]
    result = summarize(article, base_url=server.url, api_key=SECRET, retry=FAST)
    assert result.model == "compatible/served-model"
    assert server.requests[0]["json"]["model"] == "served-model"
    with FaultServer() as serving_none:
        serving_none.models = []
        with pytest.raises(ConfigurationError, match="lists no model at /models: name the"):
            summarize(article, base_url=serving_none.url, api_key=SECRET, retry=FAST)


def test_template_syntax_in_an_article_reaches_the_model_as_written(server):
    # instructor renders messages as Jinja templates when given a validation context;
    # the article must reach the model untouched, braces and all.
    text = SEED_ARTICLE_TEXT + "\n\nA reader wrote: {{ article }} {% if x %}y{% endif %} {#"
    server.script = [Reply(200, GOOD)]
    run(server, Article.from_text(text))
    prompt = server.requests[0]["json"]["messages"][1]["content"]
    assert "{{ article }} {% if x %}y{% endif %} {#" in prompt
