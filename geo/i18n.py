"""Words and number formats of every language the maps and charts are published in.

The words live in one catalogue per language, ``geo/messages/<lang>.json`` (a
flat mapping of key → text, ``{name}`` placeholders filled by `str.format`);
this module loads them and formats numbers the way each language writes them
(English ``80.1%`` and ``1,234``; Ukrainian ``80,1 %`` and ``1 234``).
"""

from __future__ import annotations

import json
import math
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from geo.errors import ArgumentError

#: Languages with a catalogue, the default first.
LANGUAGES: Final = ("en", "uk")
DEFAULT_LANGUAGE: Final = "en"
MESSAGES_DIR: Final = Path(__file__).parent / "messages"

#: Thousands separator and decimal mark per language (Ukrainian: a no-break space and a comma, DSTU 8303).
_NUMBER_MARKS: Final = {"en": (",", "."), "uk": ("\u00a0", ",")}
#: How a share is written: English ``80.1%``, Ukrainian ``80,1 %`` (no-break space before the sign).
_PERCENT_SIGN: Final = {"en": "%", "uk": "\u00a0%"}


@dataclass(frozen=True)
class Words:
    """One language's catalogue and number formats; call it with a key to get the text."""

    lang: str
    messages: dict[str, str]

    def __call__(self, key: str, /, **values: object) -> str:
        """Return the text of `key`, its ``{placeholders}`` filled from `values`."""
        try:
            template = self.messages[key]
        except KeyError:
            msg = f"geo/messages/{self.lang}.json: no message {key!r}; add it to every catalogue"
            raise KeyError(msg) from None
        return template.format(**values) if values else template

    @property
    def name_column(self) -> str:
        """Return the column that holds region and deposit names in this language (``name_en``, ``name_uk``)."""
        return f"name_{self.lang}"

    def number(self, value: object, decimals: int = 0) -> str:
        """Write a number with this language's thousands separator and decimal mark (``""`` for a missing one)."""
        number = _finite(value)
        if number is None:
            return ""
        thousands, point = _NUMBER_MARKS[self.lang]
        english = format(number, f",.{decimals}f")
        return english.replace(",", "\0").replace(".", point).replace("\0", thousands)

    def share(self, value: object, decimals: int = 1) -> str:
        """Write a share in [0, 1] as a percentage: ``0.801`` → ``80.1%`` (en), ``80,1 %`` (uk)."""
        number = _finite(value)
        if number is None:
            return ""
        return self.number(number * 100.0, decimals) + _PERCENT_SIGN[self.lang]


def _finite(value: object) -> float | None:
    """Return `value` as a float, or None where it is missing (None, NaN, pandas' NA)."""
    if value is None or not hasattr(value, "__float__"):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def placeholders(text: str) -> set[str]:
    """Return the ``{names}`` a message fills in."""
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


@cache
def words(lang: str = DEFAULT_LANGUAGE) -> Words:
    """Return the catalogue of `lang` (one of `LANGUAGES`)."""
    if lang not in LANGUAGES:
        msg = f"unknown language {lang!r}; choose from {', '.join(LANGUAGES)}"
        raise ArgumentError(msg)
    path = MESSAGES_DIR / f"{lang}.json"
    messages = json.loads(path.read_text(encoding="utf-8"))
    return Words(lang=lang, messages={str(k): str(v) for k, v in messages.items()})


def parse_languages(value: str) -> tuple[str, ...]:
    """Parse ``--lang en,uk`` into languages in the given order, without repeats; unknown ones are an error."""
    chosen = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [lang for lang in chosen if lang not in LANGUAGES]
    if not chosen or unknown:
        msg = f"{value!r}: choose one or more languages of {', '.join(LANGUAGES)}, separated by commas (e.g. en,uk)"
        raise ArgumentError(msg)
    return tuple(dict.fromkeys(chosen))
