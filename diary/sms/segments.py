"""SMS segments: GSM-7 (160 characters, extension characters count two) or UCS-2 (70),
concatenated 153 / 67 a part; and the GSM-7 spelling that saves a segment.

A single character outside GSM-7 (``ê``, ``á``, ``’``) makes the whole text UCS-2. A
translated text keeps its spelling when it fits one segment; otherwise accents the
alphabet lacks are dropped (``août`` -> ``aout``), as phones of the region read them.
"""

from __future__ import annotations

import unicodedata

SMS_LIMIT = 160
UCS2_LIMIT = 70
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")  # each costs two septets (escape + char)
_LOOKALIKES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"',
                             "–": "-", "—": "-", "…": "...", "\u00a0": " ", "\u202f": " "})


def gsm7_length(text: str) -> int | None:
    """Septets ``text`` takes in GSM-7 (extension characters count two); None if it cannot
    be sent in GSM-7 at all (the message would switch to UCS-2, 70 characters a segment)."""
    total = 0
    for char in text:
        if char in GSM7_BASIC:
            total += 1
        elif char in GSM7_EXTENDED:
            total += 2
        else:
            return None
    return total


def segments(text: str) -> int:
    """How many SMS segments ``text`` costs.

    >>> segments("a" * 160), segments("a" * 161), segments("ê" * 70), segments("ê" * 71)
    (1, 2, 1, 2)
    """
    septets = gsm7_length(text)
    if septets is not None:
        return 1 if septets <= SMS_LIMIT else -(-septets // 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= UCS2_LIMIT else -(-units // 67)


def fold(text: str) -> str:
    """``text`` in plain GSM-7: accents the alphabet lacks are stripped (ê -> e), quotes
    and dashes become their ASCII look-alikes, other characters and line breaks spaces."""
    out = []
    for char in unicodedata.normalize("NFC", text.translate(_LOOKALIKES)):
        if char in GSM7_BASIC and char not in "\n\r":
            out.append(char)
            continue
        base = unicodedata.normalize("NFKD", char)
        out.append("".join(c for c in base if c in GSM7_BASIC and c not in "\n\r") or " ")
    return " ".join("".join(out).split())


def fit(text: str) -> str:
    """``text`` as sent: as written when that is one segment (or as few as folding gives),
    else its GSM-7 spelling.

    >>> fit("Pain diary"), fit("Douleur notée pour sam 7 août.")
    ('Pain diary', 'Douleur notée pour sam 7 août.')
    >>> fit("¿Cómo fue su dolor hoy? " * 3)[:24]
    '¿Como fue su dolor hoy? '
    """
    if segments(text) == 1:
        return text
    folded = fold(text)
    return folded if segments(folded) < segments(text) else text
