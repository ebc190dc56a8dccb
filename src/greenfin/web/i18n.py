"""Tiny message catalogue: ``t("key", n=3)`` in templates. Chinese is the default language."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


@cache
def catalogue(lang: str) -> dict[str, str]:
    text = resources.files("greenfin.web").joinpath("i18n", f"{lang}.json").read_text("utf-8")
    return json.loads(text)


def translate(lang: str, key: str, **values: object) -> str:
    message = catalogue(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).get(key, key)
    return message.format(**values) if values else message
