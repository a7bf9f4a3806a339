"""The one error type the harness shows to people: bilingual, no traceback."""

from __future__ import annotations

from harness.core.i18n import Text


class HarnessError(Exception):
    """A usage, configuration or input error with a message in French and English.

    The CLI prints it in the chosen language and exits with code 2.
    """

    def __init__(self, fr: str, en: str | None = None) -> None:
        self.fr = fr
        self.en = en if en is not None else fr
        super().__init__(self.en)

    @property
    def text(self) -> Text:
        return Text(self.fr, self.en)

    def message(self, lang: str = "fr") -> str:
        return self.text.get(lang)
