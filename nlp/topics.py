"""Topic classifier: which part of community life a resident's message is about."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from nlp.features import Featurizer, load_lexicon
from nlp.linear import LinearModel
from nlp.resources import model_path
from nlp.tokenizer import stopwords

# Topic id → Chinese label. The ids never change meaning.
TOPICS: dict[str, str] = {
    "parking": "停车",
    "transport": "交通出行",
    "greenery": "绿化",
    "venues": "场地设施",
    "repairs": "维修",
    "sanitation": "环境卫生",
    "safety": "安全",
    "noise": "噪音扰民",
    "elderly": "养老助老",
    "children": "儿童",
    "commerce": "商业便民",
    "property": "物业服务",
    "other": "其他",
}
MAX_KEYWORDS = 5


@dataclass(frozen=True)
class TopicResult:
    """A topic, how sure the model is, and the words that decided it."""

    topic: str
    confidence: float
    keywords: tuple[str, ...]

    @property
    def label(self) -> str:
        """Return the topic's Chinese label."""
        return TOPICS[self.topic]


@cache
def featurizer() -> Featurizer:
    """Return the topic featurizer (the topic lexicon is one of its feature sources)."""
    # Character trigrams added nothing measurable to topic accuracy on held-out data and cost
    # a third of the scoring time, so topics use words, word pairs and character pairs.
    return Featurizer(load_lexicon("topic-lexicon.toml"), char_ngrams=(2,))


@cache
def model() -> LinearModel:
    """Return the shipped topic model."""
    return LinearModel.load(model_path("topics.json"))


def topic_of_label(text: str) -> str | None:
    """Map a topic id or Chinese label (``parking``, ``停车``) to the topic id."""
    text = text.strip().lower()
    if text in TOPICS:
        return text
    for topic, label in TOPICS.items():
        if text == label:
            return topic
    return None


def classify(text: str) -> TopicResult:
    """Sort a message into a topic; blank text is ``other`` with confidence 0."""
    if not text.strip():
        return TopicResult("other", 0.0, ())
    feats = featurizer()(text)
    if len(feats.names) <= 1:  # only the length bucket: emoji or punctuation alone
        return TopicResult("other", 0.0, ())
    prediction = model().predict(feats.names)
    return TopicResult(
        prediction.label,
        round(prediction.confidence, 4),
        _keywords(feats.words, feats.hits, prediction.label),
    )


def _keywords(
    tokens: tuple[str, ...], hits: tuple[tuple[str, str], ...], topic: str
) -> tuple[str, ...]:
    """Return the message's words that pushed hardest towards ``topic``, strongest first."""
    linear = model()
    index = linear.labels.index(topic)
    stop = stopwords()
    scored: dict[str, float] = {}
    for word in tokens:
        if len(word) > 1 and word not in stop:
            w = linear.weight("w:" + word, index)
            if w > 0:
                scored[word] = w
    lexicon_weight = linear.weight("l:" + topic, index)
    if lexicon_weight > 0:
        for label, keyword in hits:
            if label == topic:
                scored[keyword] = max(scored.get(keyword, 0.0), lexicon_weight)
    ranked = sorted(scored, key=lambda k: (-scored[k], k))
    return tuple(ranked[:MAX_KEYWORDS])
