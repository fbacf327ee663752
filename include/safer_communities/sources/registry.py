"""The source registry: every source declared once, in ``include/config/sources/*.yaml``.

A source says who owns it, how it travels (transport), what it looks like
(format and contract), how often it comes (cadence), when it is due (deadline),
how its completeness is judged, which periods are declared outages and how long
its raw files are kept (a source holding people must delete them). The file
is checked on load; an error names the file, the source and the field.
"""

from __future__ import annotations

import os
import string
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from safer_communities.config_files import Strict, problems
from safer_communities.errors import CorrectTheFile
from safer_communities.periods import CADENCE_FIELDS, Month, Period
from safer_communities.settings import CONFIG_DIR, CONTRACTS_DIR

REGISTRY_PATH = CONFIG_DIR / "sources"
TEMPLATE_FIELDS = {"drop_dir", "source", "ext"}  # plus the period fields of the cadence (periods.CADENCE_FIELDS)


class RegistryError(CorrectTheFile, ValueError):
    """The source registry file is missing, unreadable or breaks its schema."""


class LocalTransport(Strict):
    """A folder the partner drops files into (a mounted share)."""

    kind: Literal["local"]
    location: str


class HttpTransport(Strict):
    """Files served over HTTP(S); base URL and credentials come from an Airflow connection."""

    kind: Literal["http"]
    conn_id: str
    location: str
    publication_check: Literal["police_api", "none"] = "none"
    timeout_seconds: float = Field(30.0, gt=0)  # per read
    deadline_seconds: float = Field(1800.0, gt=0)  # for a whole file's download
    retries: int = Field(4, ge=0, le=10)
    backoff_seconds: float = Field(1.0, ge=0)


class NoLocationShare(Strict):
    check: Literal["no_location_share"]
    max_share: float = Field(gt=0, lt=1)


class DistrictCollapse(Strict):
    check: Literal["district_collapse"]
    min_ratio_to_median: float = Field(gt=0, lt=1)
    history_months: int = Field(6, ge=1)
    min_history_months: int = Field(2, ge=1)


class Volume(Strict):
    """The period's rows against the source's own recent history: fewer than ``min_ratio_to_median`` of the median
    of the latest ``history_periods`` loaded periods before it (at least ``min_history_periods`` needed) is a
    partial delivery (a cut copy, an extract that stopped early)."""

    check: Literal["volume"]
    min_ratio_to_median: float = Field(gt=0, lt=1)
    history_periods: int = Field(6, ge=1)
    min_history_periods: int = Field(3, ge=1)


class MonthsCovered(Strict):
    """Every month of the period has at least one record dated in it (a partial delivery is incomplete)."""

    check: Literal["months_covered"]
    column: str


class DistrictsCovered(Strict):
    """Every county district has a row (an aggregate return missing a district is incomplete)."""

    check: Literal["districts_covered"]
    column: str


class FollowUpComplete(Strict):
    """Every record's follow-up (``months`` from its start date in ``column``) had ended by the day the file was
    delivered: a cohort file sent earlier counts only part of its follow-up, so it is incomplete."""

    check: Literal["follow_up_complete"]
    column: str
    months: int = Field(ge=1, le=120)
    members: str = Field("records starting", min_length=1)  # who started, in the reason: "offenders adopted"


class Outage(Strict):
    first: str
    last: str
    reason: str = Field(min_length=1)

    @field_validator("first", "last")
    @classmethod
    def _is_month(cls, value: str) -> str:
        Month.parse(value)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Outage:
        if Month.parse(self.last) < Month.parse(self.first):
            raise ValueError(f"outage ends ({self.last}) before it starts ({self.first})")
        return self

    def covers(self, period: Period) -> bool:
        """True when any month of the period falls in the outage."""
        first, last = Month.parse(self.first), Month.parse(self.last)
        return any(first <= month <= last for month in period.months)


class KeepRawFiles(Strict):
    """The landed and quarantined files are kept for good (a source without people: the police's)."""

    raw_files: Literal["keep"]


class DeleteRawFiles(Strict):
    """The landed and quarantined copies of each file are deleted ``days_after_last_use`` days after the pipeline
    last pulled or loaded those bytes (``safer_communities.sources.retention``); the loaded rows stay in the
    warehouse."""

    raw_files: Literal["delete"]
    days_after_last_use: int = Field(ge=1, le=3650)


class Source(Strict):
    name: str
    title: str = Field(min_length=1)  # the plain name a board paper uses
    description: str
    owner: str = Field(min_length=1)
    family: str
    transport: Annotated[LocalTransport | HttpTransport, Field(discriminator="kind")]
    formats: list[Literal["csv", "xlsx"]] = Field(min_length=1)
    contract: str
    cadence: Literal["monthly", "quarterly", "annual"]
    deadline_days_after_period_end: int = Field(ge=0)
    parameters: dict[str, str] = {}
    completeness: list[
        Annotated[NoLocationShare | DistrictCollapse | MonthsCovered | DistrictsCovered | FollowUpComplete | Volume,
                  Field(discriminator="check")]
    ] = []
    outages: list[Outage] = []
    # Declared by every source; one whose contract holds people (person_ref columns) must delete its raw files.
    retention: Annotated[KeepRawFiles | DeleteRawFiles, Field(discriminator="raw_files")]

    @model_validator(mode="after")
    def _check_references(self) -> Source:
        known = TEMPLATE_FIELDS | CADENCE_FIELDS[self.cadence] | set(self.parameters)
        for _, field, _, _ in string.Formatter().parse(self.transport.location):
            if field is not None and field not in known:
                raise ValueError(
                    f"transport.location uses {{{field}}}; known fields are {sorted(known)}"
                )
        if len(self.formats) > 1 and "{ext}" not in self.transport.location:
            raise ValueError("transport.location needs {ext} when more than one format is accepted")
        if not (CONTRACTS_DIR / f"{self.contract}.yaml").is_file():
            raise ValueError(f"contract {self.contract!r} has no file {CONTRACTS_DIR}/{self.contract}.yaml")
        from safer_communities.sources.contracts import load_contract

        contract = load_contract(self.contract)
        if contract.has_person_refs and not isinstance(self.retention, DeleteRawFiles):
            people = [column.name for column in contract.columns if column.person_ref]
            raise ValueError(f"retention: contract {self.contract} holds people ({people}), so its raw files must "
                             "not be kept for good: declare retention: {raw_files: delete, days_after_last_use: N}")
        for number, rule in enumerate(self.completeness):
            if isinstance(rule, FollowUpComplete):  # a date column of the contract
                dates = [c.field for c in contract.columns if c.type == "date"]
                if rule.column not in dates:
                    raise ValueError(f"completeness.{number}.column: {rule.check} needs a date field of contract "
                                     f"{self.contract} ({dates}), not {rule.column!r}")
        return self

    def outage_for(self, period: Period) -> Outage | None:
        return next((outage for outage in self.outages if outage.covers(period)), None)

    def locations_for(self, period: Period, drop_dir: Path | str) -> list[str]:
        """Where the period's file may be, one place per accepted format, in order of preference."""
        return [
            self.transport.location.format(
                drop_dir=drop_dir, source=self.name, ext=ext, **period.template_fields(), **self.parameters
            )
            for ext in self.formats
        ]


def _load_file(path: Path) -> dict[str, Source]:
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise RegistryError(f"{path}: cannot read the source registry: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("sources"), dict):
        raise RegistryError(f"{path}: expected a mapping with a 'sources' key")
    sources = {}
    for name, body in document["sources"].items():
        if not isinstance(body, dict):
            raise RegistryError(f"{path}: source {name!r} must be a mapping")
        try:
            sources[name] = Source(name=name, **body)
        except ValidationError as error:
            raise RegistryError(f"{path}: source {name!r}: {problems(error, '(source)')}") from error
    return sources


def load_registry(path: Path = REGISTRY_PATH) -> dict[str, Source]:
    """Read and check the registry (a YAML file, or a folder of them); raise :class:`RegistryError`."""
    path = Path(path)
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    if not files:
        raise RegistryError(f"{path}: cannot read the source registry: no *.yaml files")
    sources: dict[str, Source] = {}
    for file in files:
        for name, source in _load_file(file).items():
            if name in sources:
                raise RegistryError(f"{file}: source {name!r} is declared twice")
            sources[name] = source
    return sources


def registry_path() -> Path:
    """The registry file: ``SAFER_COMMUNITIES_REGISTRY`` if set (a deployment's own), else the project's."""
    return Path(os.environ.get("SAFER_COMMUNITIES_REGISTRY", REGISTRY_PATH))


@cache
def _registry_at(path: Path) -> dict[str, Source]:
    return load_registry(path)


def default_registry() -> dict[str, Source]:
    return _registry_at(registry_path())


def get_source(name: str) -> Source:
    sources = default_registry()
    if name not in sources:
        raise RegistryError(f"unknown source {name!r}; the registry declares {sorted(sources)}")
    return sources[name]
