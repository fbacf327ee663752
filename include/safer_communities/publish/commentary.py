"""Officer commentary: what a generated report cannot know, written by the officer for each quarter.

One YAML file per quarter, named by the quarter (``2015-16-Q1.yaml`` for 2015/16 Q1), in the commentary
folder (``include/commentary/``, or ``$SAFER_COMMUNITIES_COMMENTARY``). Every part is optional; the report
(``safer_communities.publish.report``) puts each in its place and lists what is still to write::

    quarter: 2015/16 Q1
    overall: >-
      The officer's overall message: the summary's first paragraph.
    priorities:              # a note per priority, by the catalogue's priority id
      crime: ...
    indicators:              # a note per indicator, by the catalogue's indicator id
      marac_repeat_rate: ...
    recommendations:
      - The Board notes the 2015/16 Quarter 1 performance information.
    contact:
      name: ...
      role: ...
      telephone: ...
      email: ...

Write each text as a folded block (``>-``, as above): lines run on, and a blank line starts a new paragraph.
The file is checked on load: an unknown key, a priority or
indicator the catalogue does not have, or a quarter that is not the file's are errors naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field

from safer_communities.config_files import Strict, load_model
from safer_communities.dashboard.indicators import Catalogue
from safer_communities.periods import Quarter
from safer_communities.settings import INCLUDE_DIR


class CommentaryError(ValueError):
    """A commentary file that cannot be used; the message names the file and what is wrong."""


class Contact(Strict):
    name: str = Field(min_length=1)
    role: str = ""
    telephone: str = ""
    email: str = ""


class Commentary(Strict):
    quarter: str
    overall: str = ""
    priorities: dict[str, str] = {}
    indicators: dict[str, str] = {}
    recommendations: list[str] = []
    contact: Contact | None = None


def folder() -> Path:
    """Where the commentary files are: ``$SAFER_COMMUNITIES_COMMENTARY``, else ``include/commentary``."""
    return Path(os.environ.get("SAFER_COMMUNITIES_COMMENTARY", INCLUDE_DIR / "commentary"))


def path_for(quarter: Quarter) -> Path:
    return folder() / f"{quarter.slug}.yaml"


def load(quarter: Quarter, catalogue: Catalogue) -> Commentary:
    """The quarter's commentary, checked against the catalogue; an empty one if no file was written yet."""
    path = path_for(quarter)
    if not path.is_file():
        return Commentary(quarter=str(quarter))
    commentary = load_model(path, Commentary, CommentaryError, "the commentary")
    wrong = []
    if commentary.quarter != str(quarter):
        wrong.append(f"quarter is {commentary.quarter!r}, but the file is for {quarter}")
    for part, known in (("priorities", [p.id for p in catalogue.priorities]),
                        ("indicators", [i.id for i in catalogue.indicators])):
        unknown = sorted(set(getattr(commentary, part)) - set(known))
        if unknown:
            wrong.append(f"{part}: {', '.join(unknown)} not in the indicator catalogue (known: {', '.join(known)})")
    if wrong:
        raise CommentaryError(f"{path}: {'; '.join(wrong)}")
    return commentary


def paragraphs(text: str) -> list[str]:
    """A commentary text as paragraphs: in a folded block a blank line becomes a line break, which starts one."""
    return [" ".join(block.split()) for block in text.splitlines() if block.strip()]
