"""The project's YAML files, read one way: contracts, the source registry, the catalogue, reporting dates.

Each file is a pydantic model built on :class:`Strict` (unknown keys are errors; values are
frozen). :func:`load_model` reads one and turns any problem into the caller's error class, with
a message that names the file and every field at fault (:func:`problems`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

Model = TypeVar("Model", bound=BaseModel)


class Strict(BaseModel):
    """A configuration model: an unknown key is an error, and a loaded value cannot change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def problems(error: ValidationError, whole: str = "") -> str:
    """Every field at fault and why, e.g. ``columns.2.type: Input should be 'string', ...``; ``whole`` names
    a problem of the model as a whole (it has no field)."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or whole}: {e['msg']}" for e in error.errors())


def load_model(path: Path | str, model: type[Model], error: type[Exception], what: str,
               loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> Model:  # a safe loader only
    """Read the YAML file at ``path`` as ``model``; raise ``error`` naming the file (and the fields)."""
    try:
        return model(**yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader))
    except (OSError, yaml.YAMLError, TypeError) as problem:
        raise error(f"{path}: cannot read {what}: {problem}") from problem
    except ValidationError as problem:
        raise error(f"{path}: {problems(problem)}") from problem
