"""Portuguese sentiment: LeIA's lexicon scored the VADER way, with what plain LeIA gets wrong fixed.

Plain LeIA (``LeIA.SentimentIntensityAnalyzer``) misses most customer-service messages:

- it strips accents from the *text* and then converts emoji, so every emoji has already been
  removed when it looks them up; we score emoji from our own table before anything else;
- its negation list holds "nao" and multi-word entries that never match a single token, so
  "nunca", "nem", "jamais", "sem", "ninguém" don't negate, and "não … nada" (negative concord,
  one negation in Portuguese) isn't understood; we keep a negation scope that ends at a clause
  break and treats a second negative word inside it as concord, not a double negation;
- "muito", "super", "bem", "demais" (which follows the word it boosts) don't boost;
- customer-service words are missing or wrong ("péssimo", "atrasada", "reembolso" are absent;
  "caro" is +1.6, translated from English "dear"); :data:`SERVICE_LEXICON` overrides them;
- WhatsApp spellings ("vc", "obg", "blz", "péssimooo") are unknown words; :mod:`.text` folds them;
- its lexicon holds mostly masculine singulars ("ótima" is missing): :mod:`.word_forms_pt`.

``docs/ai.md`` lists the evaluation that measures each fix.
"""

from __future__ import annotations

import math

from LeIA import leia

from pytake_daemon.ai.text import fold_accents, tokens
from pytake_daemon.ai.word_forms_pt import candidates, plurals, warm_up

# VADER's constants (Hutto & Gilbert 2014), as LeIA uses them.
BOOST = 0.293
NEGATION_SCALAR = -0.74
EXCLAMATION_BOOST = 0.292
ALPHA = 15.0
NEGATION_SCOPE = 3
"""Words after a negator that it still negates ("não foi nada bom")."""

NEGATORS = frozenset(
    {"nao", "nunca", "nem", "jamais", "ninguem", "nada", "nenhum", "nenhuma", "sem", "tampouco"}
)
ARTICLES = frozenset({"o", "a", "os", "as", "um", "uma", "de", "do", "da", "no", "na", "me"})
"""Words that don't use up a negation scope ("nem o suporte consegue resolver")."""
NEGATOR_VALENCE: dict[str, float] = {
    "nao": -1.2,
    "nunca": -1.0,
    "jamais": -1.0,
    "ninguem": -1.0,
    "nada": -1.0,
    "nem": -0.8,
    "nenhum": -0.8,
    "nenhuma": -0.8,
    "sem": -0.3,
}
"""What a negator says by itself when its scope holds no positive word to flip: in a service
conversation "não chegou", "ninguém apareceu", "nunca resolvem" are complaints."""
CLAUSE_BREAKS = frozenset({".", ",", ";", ":", "!", "?", "mas", "porem", "entretanto"})

BOOSTERS: dict[str, float] = {
    "muito": BOOST,
    "muita": BOOST,
    "super": BOOST,
    "bem": BOOST,
    "demais": BOOST,
    "tao": BOOST,
    "extremamente": BOOST,
    "totalmente": BOOST,
    "completamente": BOOST,
    "bastante": BOOST,
    "mega": BOOST,
    "pouco": -BOOST,
    "meio": -BOOST,
    "quase": -BOOST,
}
PHRASES: dict[tuple[str, ...], float] = {
    # formulas that carry no sentiment although their words do ("bom", "boa", "favor")
    ("bom", "dia"): 0.0,
    ("boa", "tarde"): 0.0,
    ("boa", "noite"): 0.0,
    ("por", "favor"): 0.0,
    ("tudo", "bem"): 0.0,
    ("tudo", "bom"): 0.0,
    # idioms
    ("pelo", "amor", "de", "deus"): -1.5,
    ("de", "novo"): -0.5,
    ("mais", "uma", "vez"): -0.5,
    ("sem", "problema"): 1.2,
    ("sem", "problemas"): 1.2,
    ("deu", "certo"): 1.5,
    ("nota", "10"): 2.5,
    ("nota", "mil"): 2.5,
}
"""Word sequences scored as one unit, before negation and boosting."""
LONGEST_PHRASE = max(len(p) for p in PHRASES)
POSTFIX_BOOSTERS = frozenset({"demais", "muito", "bastante"})
"""Boosters that follow the word ("caro demais", "gostei muito")."""

# Customer-service vocabulary on VADER's -4..+4 scale, accent-folded. Overrides LeIA's entry
# where it has one (so the values here win over translation artefacts such as "caro").
SERVICE_LEXICON: dict[str, float] = {
    # problems
    "pessimo": -3.0,
    "pessima": -3.0,
    "horrivel": -2.5,
    "atraso": -1.5,  # "atrasos" through word_forms_pt
    "atrasado": -1.5,
    "atrasada": -1.5,
    "demora": -1.5,
    "demorando": -1.5,
    "demorado": -1.5,  # "demorada", "demorados" through word_forms_pt
    "reembolso": -0.6,
    "estorno": -0.6,
    "cancelar": -0.5,
    "cancela": -0.5,
    "cancelem": -0.8,
    "cancelamento": -0.5,
    "absurdo": -2.5,
    "descaso": -2.5,
    "ridiculo": -2.0,
    "revoltado": -2.5,
    "revoltada": -2.5,
    "insatisfeito": -2.2,
    "insatisfeita": -2.2,
    "decepcao": -2.2,
    "grosso": -1.8,
    "grossa": -1.8,
    "desorganizados": -1.5,
    "indevida": -2.0,
    "indevido": -2.0,
    "recusado": -1.2,
    "trava": -1.5,
    "travando": -1.5,
    "lento": -1.2,
    "lenta": -1.2,
    "bug": -1.2,
    "bloqueou": -1.2,
    "sumiu": -1.5,
    "faltou": -1.0,
    "incompleto": -1.5,
    "amassada": -1.5,
    "amassado": -1.5,
    "cansei": -2.0,
    "cansada": -1.5,
    "cansado": -1.5,
    "porcaria": -2.5,
    "inutil": -2.0,
    "chateada": -2.0,
    "chateado": -2.0,
    "nojento": -2.5,
    "caro": -1.2,
    "cara": 0.0,
    "lixo": -2.5,
    "mentirosa": -2.0,
    "mentiroso": -2.0,
    "enganado": -2.3,
    "enganada": -2.3,
    "quebrou": -2.0,
    "quebrada": -2.1,
    "cobrado": -0.8,
    "cobrada": -0.8,
    "cobraram": -1.0,
    "juros": -0.5,
    "duvida": -0.3,
    # translation artefacts of LeIA (English "stop", "you", "credit", "value", "fell"…) that
    # are neutral words in a service conversation
    "para": 0.0,
    "voce": 0.0,
    "credito": 0.0,
    "valor": 0.0,
    "responsavel": 0.0,
    "favor": 0.0,
    "apareceu": 0.0,
    "avisou": 0.0,
    "caiu": 0.0,
    "ai": 0.0,
    "ha": 0.0,
    "ajuda": 0.0,
    "maior": 0.0,
    "combinado": 0.0,
    # neutral in a service conversation ("funcionamento" +1.8 made "Qual o horário de
    # funcionamento?" positive; "ok" +0.9 is an acknowledgement, not praise)
    "funcionamento": 0.0,
    "ok": 0.0,
    "pagamento": 0.0,
    "numero": 0.0,
    "garantia": 0.0,
    "vaga": 0.0,  # a free slot, not "vago" (vague)
    "sinceramente": 0.0,  # a discourse marker before praise and complaints alike
    # things going right
    "resolvido": 2.0,
    "resolvida": 2.0,
    "resolveu": 2.0,
    "resolveram": 2.0,
    "resolve": 1.2,
    "resolvem": 1.2,
    "funcionou": 2.0,
    "funcionando": 1.5,
    "funciona": 1.2,
    "obrigado": 1.8,
    "obrigada": 1.8,
    "valeu": 1.8,
    "agradeco": 2.0,
    "gratidao": 2.0,
    "grato": 2.0,
    "grata": 2.0,
    "show": 1.5,
    "top": 1.5,
    "certinho": 1.5,
    "rapidinho": 1.5,
    "rapidez": 1.5,
    "atenciosos": 2.0,
    "atenciosa": 2.0,
    "adorei": 3.0,
    "amei": 3.0,
    "amando": 2.5,
    "satisfeita": 2.0,
    "parabens": 2.5,
    "beleza": 1.0,
    "maravilhosos": 2.9,
    "maravilhosa": 2.9,
    "lindos": 2.5,
    "incrivel": 2.8,
}

EMOJI: dict[str, float] = {
    "😡": -3.0,
    "🤬": -3.5,
    "😠": -2.5,
    "😤": -2.0,
    "😢": -2.0,
    "😭": -2.5,
    "😞": -2.0,
    "☹": -2.0,
    "🙁": -1.5,
    "😒": -1.5,
    "😩": -2.0,
    "👎": -2.0,
    "💩": -2.0,
    "😊": 2.0,
    "🙂": 1.0,
    "😀": 2.0,
    "😃": 2.0,
    "😄": 2.0,
    "😁": 2.0,
    "😍": 3.0,
    "🥰": 3.0,
    "❤": 2.5,
    "👍": 1.8,
    "👏": 2.0,
    "🙏": 1.5,
    "✅": 1.0,
    "🎉": 2.5,
    "😉": 1.0,
}


def compound(total: float) -> float:
    """VADER's normalisation of a summed valence into -1..1."""
    return total / math.sqrt(total * total + ALPHA)


class PortugueseSentiment:
    """Compound score (-1..1) of a Portuguese message. Thread-safe: read-only after ``__init__``."""

    def __init__(self) -> None:
        base = leia.SentimentIntensityAnalyzer()
        self.lexicon: dict[str, float] = {fold_accents(k): v for k, v in base.lexicon.items()}
        # A service entry decides its plurals too: LeIA holds "valores" and "favores" from English.
        self.lexicon.update((f, v) for w, v in SERVICE_LEXICON.items() for f in plurals(w))
        self.lexicon.update(SERVICE_LEXICON)
        warm_up()  # simplemma's data, on the thread that builds the scorer, not on a message

    def score(self, text: str) -> float:
        raw = tokens(text, "pt")
        words, raw, fixed = _merge_phrases([fold_accents(t) for t in raw], list(raw))
        total = 0.0
        # Weighted like VADER's "but" rule: the clause after "mas" says what the customer means.
        weight = 1.0
        scope: _NegationScope | None = None
        for i, word in enumerate(words):
            if word in CLAUSE_BREAKS:
                total += scope.close() * weight if scope else 0.0
                scope = None
                if word in {"mas", "porem", "entretanto"}:
                    total *= 0.5
                    weight = 1.5
                continue
            if word in NEGATORS:
                if scope is None:
                    emphatic = word in {"nunca", "jamais"} and _next(words, i) == "tao"
                    # "nunca fui tão mal atendido" emphasises rather than negates (VADER's
                    # "never so" rule).
                    scope = None if emphatic else _NegationScope(word)
                else:
                    # A second negative word inside a scope is concord ("não gostei nada"),
                    # not a double negation: it extends the scope instead of flipping it back.
                    scope.left = NEGATION_SCOPE
                continue
            valence = fixed[i] if i in fixed else self.lexicon.get(word)
            if valence is None and word not in BOOSTERS:
                valence = self._form_valence(raw[i])
            if valence is None or word in BOOSTERS:
                if scope is not None and word not in ARTICLES:
                    total += scope.tick() * weight
                    scope = scope if scope.left else None
                continue
            valence += self._boost(words, i, valence)
            if scope is not None:
                valence = scope.negate(valence)
                total += scope.tick() * weight
                scope = scope if scope.left else None
            total += valence * weight
        if scope is not None:
            total += scope.close() * weight
        total += sum(v for ch, v in EMOJI.items() if ch in text)
        if total:
            marks = min(text.count("!"), 4)
            total += math.copysign(marks * EXCLAMATION_BOOST, total)
        return compound(total)

    def _form_valence(self, word: str) -> float | None:
        """The lexicon's entry for a form of a word it lacks (:mod:`.word_forms_pt`)."""
        for form in candidates(word):
            if (found := self.lexicon.get(form)) is not None:
                return found
        return None

    @staticmethod
    def _boost(words: list[str], i: int, valence: float) -> float:
        extra = 0.0
        for distance, decay in ((1, 1.0), (2, 0.95), (3, 0.9)):
            j = i - distance
            if j < 0 or words[j] in CLAUSE_BREAKS:
                break
            scalar = BOOSTERS.get(words[j])
            if scalar is not None:
                extra += scalar * decay
        if i + 1 < len(words) and words[i + 1] in POSTFIX_BOOSTERS:
            extra += BOOST
        return extra if valence > 0 else -extra


class _NegationScope:
    """The words a negator reaches, and whether it flipped anything positive."""

    def __init__(self, negator: str) -> None:
        self.negator = negator
        self.left = NEGATION_SCOPE
        self.flipped = False
        self.closed = False

    def negate(self, valence: float) -> float:
        if valence > 0:
            self.flipped = True
            return valence * NEGATION_SCALAR
        if self.negator == "sem":
            # "sem juros", "sem demora": the absence of something bad; mildly good at most.
            self.flipped = True
        # "não caiu", "sem motivo": a negated complaint word is no praise; the negator's own
        # valence (see close) carries the meaning.
        return 0.0

    def tick(self) -> float:
        """One word consumed; the negator's own valence when the scope ends."""
        self.left -= 1
        return self.close() if self.left == 0 else 0.0

    def close(self) -> float:
        if self.closed or self.flipped:
            return 0.0
        self.closed = True
        return NEGATOR_VALENCE.get(self.negator, 0.0)


def _next(words: list[str], i: int) -> str | None:
    return words[i + 1] if i + 1 < len(words) else None


def _merge_phrases(
    words: list[str], raw: list[str]
) -> tuple[list[str], list[str], dict[int, float]]:
    """Replace each known phrase by one token; returns the folded tokens, the raw tokens beside
    them and the phrases' valences."""
    merged: list[str] = []
    merged_raw: list[str] = []
    fixed: dict[int, float] = {}
    i = 0
    while i < len(words):
        for size in range(min(LONGEST_PHRASE, len(words) - i), 1, -1):
            phrase = tuple(words[i : i + size])
            if phrase in PHRASES:
                fixed[len(merged)] = PHRASES[phrase]
                merged.append("_".join(phrase))
                merged_raw.append("_".join(phrase))
                i += size
                break
        else:
            merged.append(words[i])
            merged_raw.append(raw[i])
            i += 1
    return merged, merged_raw, fixed
