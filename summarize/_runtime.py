"""llama-cpp-python's ``Llama`` as the embedded model runs it, by a subclass (no patching):

- greedy decoding under the JSON grammar made cheap (``_GreedyGrammarSampler``);
- prompt-lookup decoding: drafts of the next tokens from the article's own words,
  checked several at a time (``ArticleLookup``);
- on a CPU with AMX, the weights loaded without llama.cpp's extra buffer types.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# Prompt-lookup drafts: up to DRAFT_TOKENS tokens, after a match of DRAFT_MIN_NGRAM to
# DRAFT_MAX_NGRAM tokens. On this project's 2-core machine llama.cpp's step is bound by
# arithmetic, not memory: a step checking 4 drafted tokens costs ~2.8x a plain one, so a
# draft pays only when most of it is right, and a match of 3 tokens is right more often
# than one of 2 (bench/drafts.py, bench/RESULTS.md: 3-12 % less a written token there;
# more where the step is bound by memory, on more cores).
DRAFT_TOKENS = 4
DRAFT_MIN_NGRAM = 3
DRAFT_MAX_NGRAM = 4


@dataclass(frozen=True)
class ArticleLookup:
    """Prompt-lookup drafts (llama-cpp-python's ``LlamaDraftModel`` interface): where the
    last few tokens written occurred before, in the prompt or in the answer, the tokens
    that followed them there. A brief copies names, quotes and phrases from the article
    it is given, and JSON keys from its own answer.

    Unlike llama-cpp-python's ``LlamaPromptLookupDecoding`` it wants a match of several
    tokens (one token matches nearly anywhere, and a wrong draft costs a step) and takes
    the latest occurrence rather than the first (the answer's own last key, not the
    system prompt's example)."""

    tokens: int = DRAFT_TOKENS
    min_ngram: int = DRAFT_MIN_NGRAM
    max_ngram: int = DRAFT_MAX_NGRAM

    def __call__(self, input_ids: np.ndarray, /, **kwargs: Any) -> np.ndarray:
        import numpy as np  # the [local] extra's, as llama-cpp-python's

        for n in range(self.max_ngram, self.min_ngram - 1, -1):
            if len(input_ids) <= n:
                continue
            earlier = np.lib.stride_tricks.sliding_window_view(input_ids[:-1], n)
            found = np.flatnonzero((earlier == input_ids[-n:]).all(axis=1))
            if len(found):
                start = found[-1] + n
                return input_ids[start : start + self.tokens]
        return np.array([], dtype=np.intc)


class _GreedyGrammarSampler:
    """Greedy sampling under a grammar that consults the grammar only when it must.

    llama.cpp's grammar sampler checks every candidate token against the grammar
    before one is chosen: all of Qwen's 151,936 tokens, tens of milliseconds per
    token written, more than the model's own step on this hardware. At
    temperature 0 the token chosen is the likeliest one the grammar allows; when
    the likeliest token overall is allowed (nearly always), it is that token, so
    checking it alone chooses the same token. Only when it is refused is the
    grammar applied to the whole vocabulary. llama.cpp's own common sampler does
    the same (``grammar_first = false``). The repeat penalty is applied first, as
    in llama-cpp-python's chain, so the tokens chosen are the ones it would choose.
    """

    def __init__(self, llama: Any, grammar: Any, repeat_penalty: float) -> None:
        import llama_cpp
        import numpy as np

        self._api = llama_cpp
        vocabulary = llama.n_vocab()
        self._penalties = llama_cpp.llama_sampler_init_penalties(
            vocabulary, llama.last_n_tokens_size, repeat_penalty, 0.0, 0.0
        )
        self._grammar = llama_cpp.llama_sampler_init_grammar(
            llama._model.vocab, grammar._grammar.encode(), grammar._root.encode()
        )
        self._tokens = (llama_cpp.llama_token_data * vocabulary)()
        self._view = np.ctypeslib.as_array(self._tokens)  # fields id, logit, p
        self._view["id"] = np.arange(vocabulary)
        self._all = llama_cpp.llama_token_data_array(
            data=self._tokens, size=vocabulary, selected=-1, sorted=False
        )
        self._one = (llama_cpp.llama_token_data * 1)()
        self._single = llama_cpp.llama_token_data_array(
            data=self._one, size=1, selected=-1, sorted=False
        )
        self._vocabulary = vocabulary
        self._np = np

    def _allowed(self, token: int, logit: float) -> bool:
        self._one[0].id, self._one[0].logit, self._one[0].p = token, logit, 0.0
        self._single.size, self._single.selected = 1, -1
        self._api.llama_sampler_apply(self._grammar, ctypes.byref(self._single))
        return self._one[0].logit != float("-inf")

    def sample(self, context: Any, index: int) -> int:
        api, np = self._api, self._np
        logits = api.llama_get_logits_ith(context.ctx, index)
        self._view["logit"] = np.ctypeslib.as_array(logits, shape=(self._vocabulary,))
        self._view["p"] = 0.0
        self._all.size, self._all.selected, self._all.sorted = self._vocabulary, -1, False
        api.llama_sampler_apply(self._penalties, ctypes.byref(self._all))
        token = int(np.argmax(self._view["logit"]))
        if not self._allowed(token, float(self._view["logit"][token])):
            api.llama_sampler_apply(self._grammar, ctypes.byref(self._all))
            token = int(np.argmax(self._view["logit"]))
        api.llama_sampler_accept(self._penalties, token)
        api.llama_sampler_accept(self._grammar, token)
        return token

    def close(self) -> None:
        if self._penalties is not None:
            self._api.llama_sampler_free(self._penalties)
            self._api.llama_sampler_free(self._grammar)
            self._penalties = self._grammar = None

    __del__ = close


def llama_class(llama_cpp: Any) -> Any:
    """``llama_cpp.Llama`` with greedy grammar-constrained sampling made cheap, and without
    llama.cpp's extra buffer types on a CPU with AMX (Intel Sapphire Rapids and later):
    its AMX matrix multiply crashes the process on this model's Q4_K_M weights at the
    first token (ggml-org/llama.cpp#20824, open), and the extra buffers route it there.
    ``Llama`` takes no option for them; it sets ``self.model_params`` from llama.cpp's
    defaults and loads the weights with them, so a property here sees them first."""
    amx = b"AMX_INT8 = 1" in llama_cpp.llama_print_system_info()

    class Llama(llama_cpp.Llama):  # type: ignore[misc,valid-type]
        cheap_grammar = True  # False: llama-cpp-python's own chain (the tests compare the two)
        extra_buffers = not amx

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # Set after loading: given to Llama(), a draft model makes it keep the logits
            # of every prompt token (a copy per token, and a buffer of n_ctx x vocabulary);
            # ``eval`` below asks for them only where a draft is checked.
            self.draft_model = ArticleLookup()

        last_prompt_tokens = 0
        """The last completion's prompt, in tokens (a stream's usage: llama-cpp-python
        gives none, and the context may end in a draft's unused tokens)."""

        def generate(self, tokens: Any, *args: Any, **kwargs: Any) -> Any:
            self.last_prompt_tokens = len(tokens)
            return (yield from super().generate(tokens, *args, **kwargs))

        @property
        def drafted_batch(self) -> int:
            """The most tokens a drafted step evaluates: the last token written and its
            draft (as many as ``ArticleLookup``'s default with drafting off)."""
            drafts = self.draft_model
            return (drafts.tokens if isinstance(drafts, ArticleLookup) else DRAFT_TOKENS) + 1

        def eval(self, tokens: Any) -> None:
            """``Llama.eval`` with logits for every token of a short batch (the last token
            written and its draft, each sampled in turn), and for the last of a long one."""
            self._ctx.kv_cache_seq_rm(-1, self.n_tokens, -1)
            every = len(tokens) <= self.drafted_batch
            for i in range(0, len(tokens), self.n_batch):
                batch = tokens[i : i + self.n_batch]
                self._batch.set_batch(batch=batch, n_past=self.n_tokens, logits_all=every)
                self._ctx.decode(self._batch)
                self.input_ids[self.n_tokens : self.n_tokens + len(batch)] = batch
                self.n_tokens += len(batch)
                self._requires_eval = False

        @property
        def model_params(self) -> Any:
            return self._model_params

        @model_params.setter
        def model_params(self, params: Any) -> None:
            if not self.extra_buffers:
                params.use_extra_bufts = False
            self._model_params = params

        def _init_sampler(self, **options: Any) -> Any:
            plain = not options.get("logits_processor") and not options.get("frequency_penalty")
            greedy = options.get("grammar") is not None and options.get("temp") == 0.0
            if self.cheap_grammar and greedy and plain:
                return _GreedyGrammarSampler(
                    self, options["grammar"], options.get("repeat_penalty", 1.0)
                )
            return super()._init_sampler(**options)

    return Llama
