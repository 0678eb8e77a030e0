"""Text from outside (a model, a cassette, an agent file) made inert for a terminal (pure).

A model's answer, a recorded chunk or a persona's front matter may carry control characters:
``ESC ]0;title BEL`` sets the window title, ``ESC ]52;c;…`` writes the clipboard (OSC 52),
``ESC [2J`` clears the screen, a carriage return overwrites the line, and U+202E (right-to-left
override) reorders what is shown. Printed raw, they act on the user's terminal; redirected to a
file, they act when the file is ``cat``-ed. :func:`inert` shows each one instead, as its
``\\uXXXX`` escape, and leaves every other character (newlines and tabs included) as it is.

The escape is the JSON spelling of the same character, so the JSON a command prints stays valid
JSON that decodes to the very same text; in Markdown or plain text the escape is simply visible.

Example:
    >>> inert("title\\x1b]0;pwned\\x07 ok\\n")
    'title\\\\u001b]0;pwned\\\\u0007 ok\\n'
    >>> inert("price \\u202e0.01")
    'price \\\\u202e0.01'
"""

from __future__ import annotations

import re

__all__ = ["inert"]

#: C0 controls but tab and newline, DEL, C1 controls, and the bidirectional formatting
#: characters (marks, embeddings, overrides, isolates) and the line/paragraph separators.
_CONTROLS = re.compile(
    "\r\n|[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _shown(m: re.Match[str]) -> str:
    char = m.group(0)
    return "\n" if char == "\r\n" else f"\\u{ord(char):04x}"


def inert(text: str) -> str:
    """``text`` with every terminal control character shown as its ``\\uXXXX`` escape.

    A Windows line end (``\\r\\n``) becomes ``\\n``; a lone carriage return is shown, as it
    would let a line overwrite what was printed before it.
    """
    return _CONTROLS.sub(_shown, text)
