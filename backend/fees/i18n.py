"""The fee page's own message catalog (domain "fees", backend/fees/translations), read
straight from the .po file, so no compiled .mo is committed and the shared catalog is not
touched. English source strings; the locale comes from the app's selector (?lang=zh|en)."""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask_babel import Domain, get_locale

CATALOGS = Path(__file__).resolve().parent / "translations"


@cache
def _catalog(language: str) -> NullTranslations:
    po = CATALOGS / language / "LC_MESSAGES" / "fees.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain="fees")


class FeesDomain(Domain):
    def language(self) -> str:
        locale = get_locale()
        return locale.language if locale is not None else "zh"

    def get_translations(self) -> NullTranslations:
        return _catalog(self.language())


fees_domain = FeesDomain(translation_directories=str(CATALOGS), domain="fees")
