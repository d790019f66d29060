"""Words misheard or mistyped by sound: 电题 for 电梯, 煤汽 for 煤气, 着伙 for 着火, 晕到 for 晕倒.

Speech recognition and pinyin input both write a character of the same (or a nearly same) sound
in place of the one meant. ``restore`` puts the meant word back for a fixed list of words that
matter (those an emergency is told by), so that patterns written with the right characters
still match. A stretch is restored only when it sounds like the word *and* keeps at least one of
its characters, or when it is no word at all: 找火 is 着火, but 九名 (jiu ming) is nine people,
not 救命, and 霉气 is a musty smell, not 煤气 (both are words of the dictionary).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache

_TONES = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")


def _fold(syllable: str) -> str:
    """Fold the sounds that speakers and recognisers confuse: zh/z, ch/c, sh/s, -ng/-n, l/n."""
    s = syllable.translate(_TONES)
    for hard, soft in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if s.startswith(hard):
            s = soft + s[2:]
    if s.startswith("l"):
        s = "n" + s[1:]
    if s.endswith("ng"):
        s = s[:-1]
    return s


@cache
def _readings() -> dict[int, str]:
    """Return pypinyin's readings by code point, loaded on first use.

    A command line that never reads a resident's words does not pay for the dictionaries.
    """
    from pypinyin.pinyin_dict import pinyin_dict

    return pinyin_dict


@cache
def sounds(char: str) -> frozenset[str]:
    """Return every folded reading of a character (its own self for anything not Chinese)."""
    raw = _readings().get(ord(char))
    if raw is None:
        return frozenset({char})
    return frozenset(_fold(r) for r in raw.split(","))


@cache
def main_reading(char: str) -> str:
    """Return the first (most common) reading of a character, without tones."""
    raw = _readings().get(ord(char))
    return raw.split(",")[0].translate(_TONES) if raw else char


def word_readings(word: str) -> tuple[frozenset[str], ...]:
    """Return how each character of a word may be said in it, no tones.

    Both the reading in that word (着火: zhao huo) and the character's usual one count:
    流血 is liu xie in the dictionary and liu xue in most mouths.
    """
    from pypinyin import Style, pinyin

    in_word = [r[0] for r in pinyin(word, style=Style.NORMAL)]
    return tuple(frozenset({r, main_reading(c)}) for r, c in zip(in_word, word, strict=True))


class Restorer:
    """Restores a fixed list of words wherever a stretch of text sounds like one of them.

    A stretch is restored when each of its characters can be read as the word's character is
    usually said, and the stretch is not itself a known word.
    """

    def __init__(
        self,
        words: Iterable[str],
        known: Callable[[str], bool] = lambda _: False,
        never: Iterable[str] = (),
    ) -> None:
        """Index the words by the sounds of their first character.

        ``known`` tells whether a stretch is a word in its own right (from a dictionary); such a
        stretch is left as it is. ``never`` lists more stretches to leave (没气: not breathing).
        """
        self._known = known
        self._never = tuple(never)
        self._said: dict[str, tuple[frozenset[str], ...]] = {}
        self._by_sound: dict[str, list[str]] = {}
        for word in sorted(set(words), key=len, reverse=True):
            self._said[word] = word_readings(word)
            for reading in self._said[word][0]:
                self._by_sound.setdefault(_fold(reading), []).append(word)

    def restore(self, text: str) -> str:
        """Return ``text`` with sound-alike stretches replaced by the word they sound like."""
        out = list(text)
        i = 0
        while i < len(out):
            word = self._match_at(out, i)
            if word is None:
                i += 1
                continue
            out[i : i + len(word)] = list(word)
            i += len(word)
        return "".join(out)

    def _match_at(self, chars: list[str], i: int) -> str | None:
        candidates: list[str] = []
        for sound in sounds(chars[i]):
            candidates.extend(self._by_sound.get(sound, ()))
        candidates.extend(self._by_sound.get(chars[i], ()))
        for word in sorted(set(candidates), key=len, reverse=True):
            stretch = chars[i : i + len(word)]
            if len(stretch) < len(word):
                continue
            written = "".join(stretch)
            if written == word:
                return word
            if written in self._never or self._known(written):
                continue
            if self._cuts_a_word(chars, i, i + len(word)):
                continue  # 二号楼电梯 holds no 漏电
            said = self._said[word]
            if any(a == b for a, b in zip(stretch, word, strict=True)):
                # Keeping a character, the others may sound alike in any of their readings,
                # the way speakers and recognisers confuse them (露电 for 漏电, 中峰 for 中风).
                if all(
                    any(_fold(r) in sounds(a) for r in readings)
                    for a, readings in zip(stretch, said, strict=True)
                ):
                    return word
            # Keeping none, each must sound exactly as said, as usually read (找火 for 着火,
            # but not 你说, whose 说 is only rarely shui, for 溺水).
            elif all(main_reading(a) in r for a, r in zip(stretch, said, strict=True)):
                return word
        return None

    def _cuts_a_word(self, chars: list[str], start: int, end: int) -> bool:
        """Tell whether a stretch's first or last character belongs to a word outside it."""
        before = "".join(chars[start - 1 : start + 1]) if start > 0 else ""
        after = "".join(chars[end - 1 : end + 1]) if end < len(chars) else ""
        return any(len(w) == 2 and self._known(w) for w in (before, after))
