"""Words, the same on every database: tokenising, facet keys and the edit distance for typos.

Documents and queries are tokenised here in Python (lower case, accents removed, runs of letters
and digits), so SQLite FTS5 (unicode61) and PostgreSQL ('simple') only ever see plain words
separated by spaces and split them identically.
"""

import re
import unicodedata

MAX_WORD_LENGTH = 64
MAX_QUERY_WORDS = 12
MAX_QUERY_LENGTH = 200
_WORD_RE = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower case without accents: "Écharpe Ørsted" → "echarpe ørsted"."""
    decomposed = unicodedata.normalize("NFKD", (text or "").lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_ASCII_WORD_RE = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """The words of a text in order, folded; anything that is not a letter or digit separates
    words, so quotes, FTS operators (NEAR, *, ^, -, :) and parentheses never reach a query."""
    if text.isascii():  # the common case, ten times faster
        return [w for w in _ASCII_WORD_RE.findall(text.lower()) if len(w) <= MAX_WORD_LENGTH]
    return [
        w
        for w in _WORD_RE.findall(fold(text))
        if len(w) <= MAX_WORD_LENGTH and all(unicodedata.category(ch)[0] in "LN" for ch in w)
    ]


def query_words(text: str) -> list[str]:
    """Distinct words of a query, in order, at most MAX_QUERY_WORDS."""
    return list(dict.fromkeys(words(text)))[:MAX_QUERY_WORDS]


def facet_key(value: str) -> str:
    """The key a facet value is matched by: "Navy  Blue" and "navy blue" are the same colour."""
    return " ".join((value or "").split()).casefold()


def max_typos(word: str) -> int:
    """Edits allowed when a word matches nothing: none below 3 letters, 1 up to 7, 2 from 8."""
    if len(word) < 3:
        return 0
    return 1 if len(word) <= 7 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap neighbours), or
    limit + 1 as soon as it is known to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        row_min = i
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            row_min = min(row_min, value)
        if row_min > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[len(b)], limit + 1)


_SIZE_ORDER = {s: i for i, s in enumerate(["xxxs", "xxs", "xs", "s", "m", "l", "xl", "xxl", "xxxl", "one size"])}


def size_sort_key(key: str) -> tuple:
    """Letter sizes in wearing order, then numbers ascending, then anything else alphabetically."""
    if key in _SIZE_ORDER:
        return (0, _SIZE_ORDER[key], key)
    try:
        return (1, float(key.replace(",", ".")), key)
    except ValueError:
        return (2, 0.0, key)
