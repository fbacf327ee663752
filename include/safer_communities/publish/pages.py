"""The Jinja environment every page of the project is rendered with (the board paper, the data-quality pages,
the pages behind each figure): the templates in ``templates/``, autoescaped, strict about undefined names."""

from __future__ import annotations

import functools
from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@functools.cache
def environment():
    """The pages' one Jinja environment: built once per process, so each template is compiled once (a quarter's
    explain pages render one template a hundred times)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters["month"] = lambda day: f"{day:%B %Y}"
    environment.filters["day"] = lambda day: f"{day.day} {day:%B %Y}"
    return environment
