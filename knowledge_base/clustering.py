"""Near-duplicate questions grouped incrementally, without re-reading a cluster's examples.

A question becomes a normalised term vector: accents folded, lower-cased, function
words dropped, each word cut to a short stem (its first letters: "envios", "enviar" and
"envío" meet at "envi"; "shipping"/"shipped" at "shipp"), weighed 1 + log(tf) and
scaled to unit length. A cluster keeps the sum of its members' vectors trimmed to the
heaviest `CENTROID_TERMS` terms (its `centroid`), so a question joins by one cosine
against each candidate and one addition. Pure: storage is `knowledge_base/inbox.py`'s.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from relevo.bot.text import fold

Vector = dict[str, float]

# Tuned on the shop dev set's in-scope messages (README, "The unanswered-question inbox").
DEFAULT_JOIN_THRESHOLD = 0.4
CENTROID_TERMS = 40
STEM_LENGTH = 5

_WORD = re.compile(r"[a-z0-9]+")
_FUNCTION_WORDS = frozenset("""
a al algo algun alguna alguno ante aqui asi aunque cada como con contra cual cuales
de del desde donde el ella ellas ellos en entre era es esa ese eso esta estan estas
este esto estoy fue ha hay he hola la las le les lo los mas me mi mis muy nada ni no
nos o os otra otro para pero poco por porque que se sea ser si sin sobre solo son su
sus tambien te tengo ti tiene tu tus un una uno unos unas usted vos y ya yo q pq xq
oye tio porfa favor gracias buenas buenos dias tardes
i me my mine we our you your yours he him his she her it its they them their what
which who whom this that these those am is are was were be been being have has had
do does did doing a an the and but if or because as until while of at by for with
about against between into through during before after above below to from up down
in out on off over under again then once here there when where why how all any both
each few more most other some such no nor not only own same so than too very s t can
will just don should now hi hello hey please thanks thank pls plz u ur im ive dont
cant would could get got
""".split())


def terms(text: str) -> list[str]:
    """`text`'s content words as stems, in order."""
    return [_stem(word) for word in _WORD.findall(fold(text))
            if word not in _FUNCTION_WORDS and (len(word) > 1 or word.isdigit())]


def _stem(word: str) -> str:
    """A plural's s off ("cards" and "card" meet), then the first letters."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:STEM_LENGTH]


def vector(text: str) -> Vector:
    """Unit-length term vector of `text` (empty when it has no content word)."""
    counts: dict[str, int] = defaultdict(int)
    for term in terms(text):
        counts[term] += 1
    weights = {term: 1.0 + math.log(n) for term, n in counts.items()}
    return _unit(weights)


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(weight * b.get(term, 0.0) for term, weight in a.items())
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


def merged(centroid: Mapping[str, float], added: Mapping[str, float]) -> Vector:
    """`centroid` with one more member's vector, trimmed to its heaviest terms."""
    total = dict(centroid)
    for term, weight in added.items():
        total[term] = total.get(term, 0.0) + weight
    heaviest = sorted(total.items(), key=lambda item: (-item[1], item[0]))[:CENTROID_TERMS]
    return {term: round(weight, 4) for term, weight in heaviest}


def recency_score(size: int, age_days: float, half_life_days: float) -> float:
    """Ranking: how many asked, halved every `half_life_days` since the last one."""
    return float(size * 0.5 ** (max(age_days, 0.0) / half_life_days))


def _unit(weights: Mapping[str, float]) -> Vector:
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {term: w / norm for term, w in weights.items()} if norm else {}


@dataclass(slots=True)
class Candidate:
    """An open cluster as the clusterer sees it."""

    id: int
    centroid: Vector
    label: str
    size: int


@dataclass(slots=True)
class Clusters:
    """The open clusters of one language, with a term → clusters index so a question is
    compared only with clusters sharing one of its stems. A droppable cache: the table
    is the truth, and `Inbox` rebuilds this from it."""

    threshold: float = DEFAULT_JOIN_THRESHOLD
    _by_id: dict[int, Candidate] = field(default_factory=dict)
    _index: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    _unit: dict[int, Vector] = field(default_factory=dict)  # centroids at unit length

    def __len__(self) -> int:
        return len(self._by_id)

    def nearest(self, question: Mapping[str, float]) -> tuple[Candidate, float] | None:
        """The most similar cluster at or above the threshold, or None (a new one).
        Dot products accumulate over the question's terms' postings only."""
        norm = math.sqrt(sum(w * w for w in question.values()))
        if not norm:
            return None
        dots: dict[int, float] = defaultdict(float)
        for term, weight in question.items():
            for cluster_id in self._index.get(term, ()):
                dots[cluster_id] += weight * self._unit[cluster_id][term]
        best: tuple[Candidate, float] | None = None
        for cluster_id, dot in sorted(dots.items()):
            similarity = dot / norm
            if similarity >= self.threshold and (best is None or similarity > best[1]):
                best = (self._by_id[cluster_id], similarity)
        return best

    def put(self, candidate: Candidate) -> None:
        self.drop(candidate.id)
        self._by_id[candidate.id] = candidate
        self._unit[candidate.id] = _unit(candidate.centroid)
        for term in candidate.centroid:
            self._index[term].add(candidate.id)

    def drop(self, cluster_id: int) -> None:
        old = self._by_id.pop(cluster_id, None)
        self._unit.pop(cluster_id, None)
        if old is not None:
            for term in old.centroid:
                self._index[term].discard(cluster_id)


def joined(candidate: Candidate, question: Mapping[str, float], text: str) -> Candidate:
    """`candidate` after `question` (of `text`) joins it: the centroid grows, and the
    label becomes the question when it is now closer to the centroid than the label."""
    centroid = merged(candidate.centroid, question)
    label = candidate.label
    if cosine(question, centroid) > cosine(vector(label), centroid):
        label = text
    return Candidate(candidate.id, centroid, label, candidate.size + 1)


def purity(assigned: Iterable[tuple[str, int]]) -> tuple[float, float]:
    """(purity, clusters per true group) of `(true group, cluster id)` pairs: purity is
    the share of members whose cluster's majority group is their own."""
    members: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    groups: dict[str, set[int]] = defaultdict(set)
    total = 0
    for group, cluster in assigned:
        members[cluster][group] += 1
        groups[group].add(cluster)
        total += 1
    if not total:
        return 0.0, 0.0
    majority = sum(max(counts.values()) for counts in members.values())
    return majority / total, sum(len(c) for c in groups.values()) / len(groups)
