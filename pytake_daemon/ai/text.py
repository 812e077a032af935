"""Text normalisation shared by the sentiment scorers and the intent classifier.

WhatsApp messages are short, informal and full of abbreviations ("vc", "pq", "obg"), stretched
words ("siiim", "péssimooo") and emoji; lexicons and n-gram models see them as unknown words
unless they are folded to the dictionary spelling first.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Common WhatsApp spellings → dictionary words, per language ("to" is Portuguese for "estou"
# and an English word, so one shared table would break the other language).
PT_SPELLINGS: dict[str, str] = {
    "vc": "você",
    "vcs": "vocês",
    "voce": "você",
    "q": "que",
    "pq": "porque",
    "obg": "obrigado",
    "obgd": "obrigado",
    "obgda": "obrigada",
    "brigado": "obrigado",
    "brigada": "obrigada",
    "brigadão": "obrigado",
    "vlw": "valeu",
    "blz": "beleza",
    "mto": "muito",
    "mt": "muito",
    "mta": "muita",
    "tb": "também",
    "tbm": "também",
    "n": "não",
    "nao": "não",
    "ñ": "não",
    "naum": "não",
    "tô": "estou",
    "to": "estou",
    "tá": "está",
    "ta": "está",
    "td": "tudo",
    "hj": "hoje",
    "qdo": "quando",
    "qnd": "quando",
    "qnto": "quanto",
    "pfv": "por favor",
    "pf": "por favor",
    "pra": "para",
    "cmg": "comigo",
    "msg": "mensagem",
    "ngm": "ninguém",
    "nd": "nada",
}
EN_SPELLINGS: dict[str, str] = {
    "u": "you",
    "r": "are",
    "ur": "your",
    "thx": "thanks",
    "ty": "thank you",
    "pls": "please",
    "plz": "please",
    "cuz": "because",
    "idk": "i don't know",
}
SPELLINGS: dict[str, dict[str, str]] = {"pt": PT_SPELLINGS, "en": EN_SPELLINGS}

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?|[!?.,;:]", re.UNICODE)
_REPEATS = re.compile(r"([^\W\d_])\1{2,}", re.UNICODE)


def squeeze_repeats(text: str) -> str:
    """``péssimooo`` → ``péssimo``, ``siiim`` → ``sim`` (three or more of a letter become one)."""
    return _REPEATS.sub(r"\1", text)


@lru_cache(maxsize=65536)
def fold_accents(word: str) -> str:
    """``péssimo`` → ``pessimo``: LeIA's lexicon is stored without accents.

    Cached: it is called for every word of every message, and a language's words repeat.
    """
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii")


def tokens(text: str, language: str) -> list[str]:
    """Lower-case words (the language's WhatsApp spellings expanded) and punctuation marks."""
    return list(_tokens(text, language))


@lru_cache(maxsize=256)
def _tokens(text: str, language: str) -> tuple[str, ...]:
    # Language detection, the sentiment scorer and the intent model each tokenise the message
    # being analysed: the cache makes that once. (A tuple, so no caller can change it.)
    spellings = SPELLINGS.get(language, {})
    out: list[str] = []
    for raw in _WORD.findall(squeeze_repeats(text.lower())):
        expanded = spellings.get(raw)
        if expanded is None:
            out.append(raw)
        else:
            out.extend(expanded.split())
    return tuple(out)


def normalise(text: str, language: str) -> str:
    """One spaced string of :func:`tokens` (the intent classifier's input)."""
    return " ".join(_tokens(text, language))
