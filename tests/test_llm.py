"""Model specs, mode choice, API keys and the retry policy for transport faults."""

from __future__ import annotations

import email.utils
import time

import httpx2
import pytest

from summarize._errors import ConfigurationError
from summarize._spec import LOCAL_URL, OPENAI_URL, api_key_for, parse_model_spec
from summarize._transport import RetryingTransport, RetryPolicy, retry_after


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("SUMMARIZE_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "OLLAMA_HOST"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("spec", "provider", "model", "url", "mode"),
    [
        (None, "local", "qwen2.5-coder-1.5b", LOCAL_URL, "json_schema"),
        ("local", "local", "qwen2.5-coder-1.5b", LOCAL_URL, "json_schema"),
        ("local/qwen2.5-coder-0.5b", "local", "qwen2.5-coder-0.5b", LOCAL_URL, "json_schema"),
        ("openai/gpt-4o-mini", "openai", "gpt-4o-mini", OPENAI_URL, "tools"),
        ("gpt-4o-mini", "openai", "gpt-4o-mini", OPENAI_URL, "tools"),
        ("ollama/llama3.1", "ollama", "llama3.1", "http://localhost:11434/v1", "json_schema"),
    ],
)
def test_model_specs(spec, provider, model, url, mode):
    parsed = parse_model_spec(spec)
    assert (parsed.provider, parsed.model, parsed.base_url, parsed.mode) == (
        provider,
        model,
        url,
        mode,
    )


def test_base_url_makes_a_compatible_server_and_keeps_slashes_in_names():
    spec = parse_model_spec("Qwen/Qwen2.5-7B-Instruct", base_url="http://127.0.0.1:8000/v1/")
    assert (spec.provider, spec.model, spec.base_url, spec.mode) == (
        "compatible",
        "Qwen/Qwen2.5-7B-Instruct",
        "http://127.0.0.1:8000/v1",
        "json_schema",
    )


def test_environment_variables_are_honoured(monkeypatch):
    monkeypatch.setenv("SUMMARIZE_MODEL", "ollama/qwen2.5")
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:11434")
    spec = parse_model_spec(None)
    assert (spec.model, spec.base_url) == ("qwen2.5", "http://gpu-box:11434/v1")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
    spec = parse_model_spec("openai/my-model")
    assert (spec.provider, spec.base_url, spec.mode) == (
        "compatible",
        "http://127.0.0.1:8080/v1",
        "json_schema",
    )


def test_mode_can_be_chosen():
    assert parse_model_spec("openai/gpt-4o", mode="json_schema").mode == "json_schema"


def test_unknown_embedded_model_and_empty_name_are_errors():
    with pytest.raises(ConfigurationError, match="unknown embedded model"):
        parse_model_spec("local/llama-70b")
    with pytest.raises(ConfigurationError, match="names no model"):
        parse_model_spec("openai/")


def test_openai_needs_a_key_and_local_servers_do_not(monkeypatch):
    with pytest.raises(ConfigurationError, match="set OPENAI_API_KEY"):
        api_key_for(parse_model_spec("openai/gpt-4o-mini"))
    assert api_key_for(parse_model_spec("local")) == "not-needed"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789")
    assert api_key_for(parse_model_spec("openai/gpt-4o-mini")) == "sk-test-0123456789"
    assert api_key_for(parse_model_spec("openai/gpt-4o-mini"), "sk-given") == "sk-given"


# Retry policy. A scripted transport stands in for the network: each request
# pops the next step, a response or an exception.
FAST = RetryPolicy(max_attempts=4, max_seconds=10, initial_wait=0.01, max_wait=0.02)


class Script(httpx2.BaseTransport):
    def __init__(self, *steps):
        self.steps = list(steps)
        self.requests = 0

    def handle_request(self, request):
        self.requests += 1
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def post(transport: httpx2.BaseTransport) -> httpx2.Response:
    with httpx2.Client(transport=transport) as client:
        return client.post("http://model.test/v1/chat/completions", json={"stream": False})


def ok() -> httpx2.Response:
    return httpx2.Response(200, json={"ok": True})


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_transient_statuses_are_retried(status):
    script = Script(httpx2.Response(status), ok())
    assert post(RetryingTransport(script, FAST)).json() == {"ok": True}
    assert script.requests == 2


@pytest.mark.parametrize(
    "error",
    [
        httpx2.ConnectError("refused"),
        httpx2.ReadTimeout("slow"),
        httpx2.RemoteProtocolError("drop"),
    ],
)
def test_transport_errors_are_retried(error):
    script = Script(error, ok())
    assert post(RetryingTransport(script, FAST)).status_code == 200
    assert script.requests == 2


def test_client_errors_are_not_retried():
    script = Script(httpx2.Response(400, json={"error": {"message": "bad"}}), ok())
    assert post(RetryingTransport(script, FAST)).status_code == 400
    assert script.requests == 1


def test_attempts_are_bounded_and_the_last_response_is_returned():
    script = Script(*[httpx2.Response(503) for _ in range(10)])
    assert post(RetryingTransport(script, FAST)).status_code == 503
    assert script.requests == FAST.max_attempts


def test_errors_are_reraised_after_the_last_attempt():
    script = Script(*[httpx2.ConnectError("refused") for _ in range(10)])
    with pytest.raises(httpx2.ConnectError):
        post(RetryingTransport(script, FAST))
    assert script.requests == FAST.max_attempts


def test_total_time_is_bounded():
    policy = RetryPolicy(max_attempts=100, max_seconds=0.3, initial_wait=0.05, max_wait=0.05)
    script = Script(*[httpx2.Response(503) for _ in range(100)])
    started = time.monotonic()
    post(RetryingTransport(script, policy))
    assert 2 <= script.requests < 100
    assert time.monotonic() - started < 5  # bounded, with room for a slow machine


def test_retry_after_is_honoured():
    throttled = httpx2.Response(429, headers={"Retry-After": "0.2"})
    script = Script(throttled, ok())
    started = time.monotonic()
    post(RetryingTransport(script, FAST))
    assert time.monotonic() - started >= 0.2  # waited as told, not FAST's 0.02 s


def test_retry_after_forms():
    assert retry_after(httpx2.Response(429, headers={"Retry-After": "7"})) == 7
    assert retry_after(httpx2.Response(429, headers={"retry-after-ms": "1500"})) == 1.5
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < retry_after(httpx2.Response(429, headers={"Retry-After": later})) <= 30
    assert retry_after(httpx2.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx2.Response(429)) is None


def test_backoff_grows_with_jitter_and_is_capped():
    policy = RetryPolicy(initial_wait=1, max_wait=8)
    waits = {n: [] for n in (1, 2, 3, 6)}
    for attempt in waits:
        for _ in range(50):
            state = type("State", (), {"outcome": None, "attempt_number": attempt})()
            waits[attempt].append(policy._wait(state))
    assert all(0.5 <= w <= 1 for w in waits[1])
    assert all(1 <= w <= 2 for w in waits[2])
    assert all(4 <= w <= 8 for w in waits[6])  # capped at max_wait
    assert len(set(waits[3])) > 1  # jittered, not synchronized


def test_instructor_sends_the_messages_as_they_are_and_hands_the_checks_their_context():
    """instructor renders messages as Jinja templates when given a truthy ``context``;
    ``CheckContext`` reads as empty to that test and reaches the checks whole."""
    import json

    import instructor
    import openai
    from pydantic import BaseModel, ValidationInfo, model_validator

    from summarize._schema import CheckContext
    from tests.faultserver import completion

    sent, checked = [], []

    def answer(request: httpx2.Request) -> httpx2.Response:
        sent.append(json.loads(request.content))
        return httpx2.Response(200, json=completion('{"value": "ok"}'))

    class Answer(BaseModel):
        value: str

        @model_validator(mode="after")
        def held(self, info: ValidationInfo) -> Answer:
            checked.append(info.context)
            return self

    http = httpx2.Client(transport=httpx2.MockTransport(answer))
    client = instructor.from_openai(
        openai.OpenAI(api_key="x", base_url="http://test.invalid/v1", http_client=http),
        mode=instructor.Mode.JSON_SCHEMA,
    )
    article = "  A {{ story }} with {% if tags %} and {# comments #}, as articles may have.\n"
    context = CheckContext(article=article)
    client.create(
        response_model=Answer,
        messages=[{"role": "user", "content": article}],
        model="m",
        context=context,
    )
    assert sent[0]["messages"][0]["content"] == article
    assert checked == [context] and checked[0]["article"] == article
