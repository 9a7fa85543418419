"""Words and number formats of every language the maps and charts are published in.

The words live in one catalogue per language, ``geo/messages/<lang>.json`` (a
flat mapping of key → text, ``{name}`` placeholders filled by `str.format`);
this module loads them and formats numbers the way each language writes them
(English ``80.1%`` and ``1,234``; Ukrainian ``80,1 %`` and ``1 234``).
"""

from __future__ import annotations

import json
import math
import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from geo.errors import ArgumentError, ValidationError

#: Languages with a catalogue, the default first.
LANGUAGES: Final = ("en", "uk")
DEFAULT_LANGUAGE: Final = "en"
MESSAGES_DIR: Final = Path(__file__).parent / "messages"

#: Thousands separator and decimal mark per language (Ukrainian: a no-break space and a comma, DSTU 8303).
_NUMBER_MARKS: Final = {"en": (",", "."), "uk": ("\u00a0", ",")}
#: How a share is written: English ``80.1%``, Ukrainian ``80,1 %`` (no-break space before the sign).
_PERCENT_SIGN: Final = {"en": "%", "uk": "\u00a0%"}
#: Characters XML 1.0 forbids that `xml_text` drops: the C0 controls but TAB, LF, CR and the separators of
#: `_XML_BREAKS`; surrogates; U+FFFE and U+FFFF.
_NOT_XML: Final = re.compile("[\x00-\x08\x0e-\x1b\ud800-\udfff\ufffe\uffff]")
#: Control characters that separate words (`str.split` splits at them), which `xml_text` turns into a space: VT, FF
#: and U+001C–U+001F, which XML forbids, and in one-line text TAB, LF and CR too.
_XML_BREAKS: Final = {
    True: re.compile("[\t\n\r\x0b\x0c\x1c-\x1f]+"),
    False: re.compile("[\x0b\x0c\x1c-\x1f]+"),
}


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

    def names(self, row: Mapping[Any, Any]) -> tuple[str, str | None]:
        """Return a record's name in this language and its name in the other, if it has another.

        A name with nothing visible in it (missing, blank, only invisible
        characters) does not count: the record then goes by its other name,
        and by ``""`` if it has none.
        """
        columns = [self.name_column, *(f"name_{lang}" for lang in LANGUAGES if f"name_{lang}" != self.name_column)]
        found = [name for name in (visible(row.get(column)) for column in columns) if name is not None]
        if not found:
            return "", None
        other = next((name for name in found[1:] if name != found[0]), None)
        return found[0], other

    def map_name(self, row: Mapping[Any, Any]) -> str:
        """Return the name a map shows for a record: in Ukrainian its Ukrainian name, in Latin `national_name`.

        The one naming rule of every map (print, HTML, the QGIS labels): the data keep the source's spelling
        (``name_en``), the maps respell its Russian-style words in the Ukrainian national transliteration where the
        record's Ukrainian name gives the same words (`national_name`).  A record with only one name goes by it
        (`names`).
        """
        name, _other = self.names(row)
        if self.lang == "uk" or visible(row.get("name_en")) is None:
            return name
        return national_name(str(row.get("name_en")), row.get("name_uk"))

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

    def figure(self, value: float) -> str:
        """Write a published figure with the decimals it needs (up to six): ``0.353`` → ``0,353`` (uk)."""
        text = format(value, ".6f").rstrip("0").rstrip(".")
        decimals = len(text.split(".")[1]) if "." in text else 0
        return self.number(value, decimals)

    def share(self, value: object, decimals: int = 1) -> str:
        """Write a share in [0, 1] as a percentage: ``0.801`` → ``80.1%`` (en), ``80,1 %`` (uk)."""
        number = _finite(value)
        if number is None:
            return ""
        return self.number(number * 100.0, decimals) + _PERCENT_SIGN[self.lang]


def visible(value: object) -> str | None:
    """Return `value` if it is text with something visible in it (a letter, digit, mark, sign), else None."""
    if not isinstance(value, str):
        return None
    return value if any(unicodedata.category(char)[0] not in "CZ" for char in value) else None


def xml_text(value: object, *, one_line: bool = True) -> str:
    r"""Return text from data as XML 1.0 can carry it; every writer of XML, or of text in a binary, calls it first.

    A control character XML forbids is dropped, a run of those that separate
    words becomes one space, and the rest is kept as it is (escaping ``<`` and
    ``&`` is still the writer's).  The data tables keep the original text.

    Parameters
    ----------
    value
        Any value; it is written as `str` gives it.
    one_line
        Whether the text is one line (a name, a title, a label): TAB, LF and CR
        then become a space too; otherwise (an abstract) they are kept.

    Examples
    --------
    >>> xml_text("Kryvyi\x00 Rih\r\nmine\ufffe")
    'Kryvyi Rih mine'
    >>> xml_text("one\ntwo\x0c", one_line=False)
    'one\ntwo '
    """
    return _XML_BREAKS[one_line].sub(" ", _NOT_XML.sub("", without_bidi(str(value))))


#: Explicit direction controls (embeddings, overrides, isolates): in a name from data, U+202E would turn the rest of
#: its line around, so that "5.0% occupied (1,564 km²)" reads backwards. Marks (U+200E, U+200F) are harmless.
_BIDI_CONTROLS: Final = re.compile("[\u202a-\u202e\u2066-\u2069]")


def without_bidi(text: str) -> str:
    """Drop the explicit bidirectional controls from text from data (every writer of HTML and XML calls it)."""
    return _BIDI_CONTROLS.sub("", text)


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
    messages = _read(lang)
    check_catalogue(lang, messages, _read(DEFAULT_LANGUAGE))
    return Words(lang=lang, messages=messages)


def _read(lang: str) -> dict[str, str]:
    path = MESSAGES_DIR / f"{lang}.json"
    return {str(k): str(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def check_catalogue(lang: str, messages: Mapping[str, str], reference: Mapping[str, str]) -> None:
    """Refuse a catalogue that lacks a key of the English one or fills other placeholders (one error, all keys).

    Raises
    ------
    geo.errors.ValidationError
        Naming the catalogue file and the keys (first ten).
    """
    missing = sorted(set(reference) - set(messages))
    extra = sorted(set(messages) - set(reference))
    different = sorted(
        k for k in set(reference) & set(messages) if placeholders(messages[k]) != placeholders(reference[k])
    )
    problems = [
        f"{what} {', '.join(keys[:10])}{' …' if len(keys) > 10 else ''}"
        for what, keys in (
            ("missing", missing),
            ("not in en.json", extra),
            ("other placeholders than en.json", different),
        )
        if keys
    ]
    if problems:
        msg = f"geo/messages/{lang}.json: {'; '.join(problems)}; every catalogue needs the keys and placeholders of en.json"
        raise ValidationError(msg)


def parse_languages(value: str) -> tuple[str, ...]:
    """Parse ``--lang en,uk`` into languages in the given order, without repeats; unknown ones are an error."""
    chosen = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [lang for lang in chosen if lang not in LANGUAGES]
    if not chosen or unknown:
        msg = f"{value!r}: choose one or more languages of {', '.join(LANGUAGES)}, separated by commas (e.g. en,uk)"
        raise ArgumentError(msg)
    return tuple(dict.fromkeys(chosen))


#: Ukrainian → Latin, the official transliteration (Cabinet of Ministers of Ukraine resolution No. 55 of 2010).
_KMU2010: Final = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh", "з": "z",
    "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "'": "", "’": "", "ʼ": "",
}  # fmt: skip
#: How є, ї, й, ю, я are written at the start of a word.
_KMU2010_INITIAL: Final = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}


def transliterate(text: str) -> str:
    """Transliterate Ukrainian text into Latin letters by the KMU 2010 rules (resolution No. 55).

    є, ї, й, ю, я are written ye, yi, y, yu, ya at the start of a word and ie,
    i, i, iu, ia elsewhere (a word starts after anything but a letter or an
    apostrophe: «Мар'їнка» gives Marinka); зг is written zgh; the soft sign
    and apostrophes are dropped.  A capital gives a capitalised group (Щ →
    Shch); characters outside the table pass through.
    """
    out = []
    for k, char in enumerate(text):
        lower = char.lower()
        latin = _KMU2010.get(lower)
        if latin is None:
            out.append(char)
            continue
        previous = text[k - 1].lower() if k else ""
        if lower == "г" and previous == "з":
            latin = "gh"
        elif lower in _KMU2010_INITIAL and not (previous.isalpha() or (previous and previous in "'’ʼ")):
            latin = _KMU2010_INITIAL[lower]
        out.append(latin[:1].upper() + latin[1:] if char != lower else latin)
    return "".join(out)


#: Source names that end in an English kind phrase after a spelling of a Ukrainian proper name (Global Energy
#: Monitor's "Ilovayskaya Coal Mine"), and the phrase the Latin name ends in ("Coal Miine" and "(Ukraine)" dropped).
_KIND_PHRASES: Final = ((re.compile(r"^(?P<proper>.+?) Coal Mi+ne(?: \(Ukraine\))?$"), "Coal Mine"),)
#: A Ukrainian name with «імені»/«ім.» names the site after someone in the genitive (Сургая, Бажанова): not a
#: spelling of the source's name, which is kept.
_GENITIVE_NAME: Final = re.compile(r"(?:^|\s)(?:імені|ім\.)(?=\s|$)", re.IGNORECASE)
#: A word of a name: letters (with apostrophes, hyphens and the dot of an initial), the text around it kept.
_WORD: Final = re.compile(r"[^\W\d_](?:[\w'’ʼ-]*[^\W\d_])?")


def spelling_key(latin: str) -> str:
    """Return what a Latin word's Russian-style and national spellings share (`national_name` compares words by it).

    Lower case without apostrophes; the Russian adjective endings -aya and -oye/-oe written as the Ukrainian -a and
    -e; g as h (Russian г); e, i, o and y as one vowel (и, і, й, ы, е and the Ukrainian і of a Russian о or е); a
    doubled letter once.  "Ilovayskaya" and "Ilovaiska" share ``ilivaiska``; "Vakhrushev" and "Vakhrusheva" (a
    genitive) do not.

    Examples
    --------
    >>> spelling_key("Novogrodovskaya") == spelling_key("Novohrodivska")
    True
    >>> spelling_key("Vakhrushev") == spelling_key("Vakhrusheva")
    False
    """
    key = re.sub(r"['’ʼ]", "", latin.casefold())
    key = re.sub(r"aya$", "a", key)
    key = re.sub(r"o?ye$|oe$", "e", key)
    key = re.sub(r"[eioy]", "i", key.replace("g", "h"))
    return re.sub(r"(.)\1+", r"\1", key)


def national_name(name_en: str, name_uk: object) -> str:
    """Return a record's Latin name with the source's Russian-style spellings in the national transliteration.

    Rule: a map's Latin name is the source's English name, each of whose words is respelt in the Ukrainian
    national transliteration (KMU 2010, `transliterate`) from the same word of the Ukrainian name, and only if
    every word of its proper name (`_KIND_PHRASES`: "<X> Coal Mine") has such a counterpart (`spelling_key`);
    otherwise the source's name is kept as it is, so that an English translation ("Red Partisan", «Червоний
    партизан»), another name («Шахта ім. М. С. Сургая» for "Pivdennodonbaska 3"), a genitive after «імені» or
    a genitive alone («В. В. Вахрушева» for "V. V. Vakhrushev") never replace it.  Numbers, "No" and the source's
    word order are the source's, so nothing is lost and no "№" reaches a Latin name.  A record without a Ukrainian
    name keeps its name ("Gorskaya Coal Mine": no Ukrainian name is invented).

    Examples
    --------
    >>> national_name("Ilovayskaya Coal Mine", "Шахта Іловайська")
    'Ilovaiska Coal Mine'
    >>> national_name("Red Partisan Coal Mine", "Червоний партизан")
    'Red Partisan Coal Mine'
    >>> national_name("Gorskaya Coal Mine", None)
    'Gorskaya Coal Mine'
    """
    ukrainian = visible(name_uk)
    if ukrainian is None or _GENITIVE_NAME.search(ukrainian):
        return name_en
    national: dict[str, str] = {}
    for word in _WORD.findall(ukrainian):
        latin = transliterate(word)
        national.setdefault(spelling_key(latin), latin)
    for pattern, phrase in _KIND_PHRASES:
        found = pattern.match(name_en)
        if found is None:
            continue
        proper = found.group("proper")
        words = [w for w in _WORD.findall(proper) if w.casefold() != "no"]
        if not words or any(spelling_key(w) not in national for w in words):
            return name_en

        def respell(word: re.Match[str]) -> str:
            if word[0].casefold() == "no":
                return word[0]
            latin = national[spelling_key(word[0])]
            return latin[:1].upper() + latin[1:] if word[0][:1].isupper() else latin  # the source's capital

        respelt = _WORD.sub(respell, proper)
        return name_en if respelt == proper else f"{respelt} {phrase}"
    return name_en
