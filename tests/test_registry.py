from pathlib import Path

import pytest
import yaml

from safer_communities.periods import Month
from safer_communities.sources.registry import REGISTRY_PATH, RegistryError, load_registry


def _write(tmp_path: Path, mutate) -> Path:
    document = yaml.safe_load((REGISTRY_PATH / "police.yaml").read_text())
    mutate(document["sources"]["police_street_crime"])
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_police_is_declared_with_the_niche_outage():
    police = load_registry()["police_street_crime"]
    assert police.cadence == "monthly"
    assert police.contract == "police_street"
    assert police.outage_for(Month(2015, 3)) is None
    assert "NICHE" in police.outage_for(Month(2015, 4)).reason
    assert police.outage_for(Month(2015, 6)) is not None
    assert police.outage_for(Month(2015, 7)) is None
    assert police.locations_for(Month(2020, 3), "/drop") == ["/drop/police/2020-03-leicestershire-street.csv"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.pop("owner"), "owner: Field required"),
        (lambda s: s.pop("title"), "title: Field required"),
        (lambda s: s.update(title=""), "title: String should have at least 1 character"),
        (lambda s: s.update(cadence="weekly"), "cadence"),
        (lambda s: s.update(colour="blue"), "colour: Extra inputs are not permitted"),
        (lambda s: s["transport"].update(location="{drop_dir}/{county}.csv"), "uses {county}"),
        (lambda s: s["transport"].update(kind="ftp"), "transport"),
        (lambda s: s.update(contract="nope"), "contract 'nope' has no file"),
        (lambda s: s["outages"][0].update(first="2015-07"), "ends (2015-06) before it starts (2015-07)"),
        (lambda s: s["outages"][0].update(first="April 2015"), "is not a month"),
        (lambda s: s.update(deadline_days_after_period_end=-1), "deadline_days_after_period_end"),
        (lambda s: s.pop("retention"), "retention: Field required"),
        (lambda s: s.update(retention={"raw_files": "forget"}), "retention: Input tag 'forget'"),
        (lambda s: s.update(retention={"raw_files": "delete", "days_after_last_use": 0}),
         "retention.delete.days_after_last_use: Input should be greater than or equal to 1"),
        (lambda s: s.update(retention={"raw_files": "keep", "days_after_last_use": 30}),
         "retention.keep.days_after_last_use: Extra inputs are not permitted"),
    ],
)
def test_registry_errors_name_the_source_and_field(tmp_path, mutate, message):
    path = _write(tmp_path, mutate)
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert "police_street_crime" in str(error.value)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_unreadable_registry_names_the_file(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("sources: [not, a, mapping]")
    with pytest.raises(RegistryError, match="expected a mapping"):
        load_registry(path)
    with pytest.raises(RegistryError, match="cannot read"):
        load_registry(tmp_path / "missing.yaml")


def test_a_source_declared_in_two_files_is_an_error(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    for name in ("a.yaml", "b.yaml"):
        (folder / name).write_text((REGISTRY_PATH / "police.yaml").read_text())
    with pytest.raises(RegistryError, match="b.yaml: source 'police_street_crime' is declared twice"):
        load_registry(folder)


@pytest.mark.parametrize(("family", "name"), [("marac", "marac_referrals"), ("probation", "iom_cohort"),
                                              ("survey", "community_survey")])
@pytest.mark.parametrize("retention", [None, {"raw_files": "keep"}])
def test_a_source_holding_people_must_delete_its_raw_files(tmp_path, family, name, retention):
    document = yaml.safe_load((REGISTRY_PATH / f"{family}.yaml").read_text())
    assert document["sources"][name]["retention"]["raw_files"] == "delete"
    if retention is None:
        del document["sources"][name]["retention"]
    else:
        document["sources"][name]["retention"] = retention
    path = tmp_path / f"{family}.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert f"{path}: source '{name}'" in str(error.value)
    assert ("retention: Field required" if retention is None else  # the contract is named as the source
            f"retention: contract {name} holds people") in str(error.value)


def test_a_source_without_people_may_delete_its_raw_files_too(tmp_path):
    path = _write(tmp_path, lambda s: s.update(retention={"raw_files": "delete", "days_after_last_use": 400}))
    assert load_registry(path)["police_street_crime"].retention.days_after_last_use == 400


def _probation(tmp_path: Path, **check) -> Path:
    document = yaml.safe_load((REGISTRY_PATH / "probation.yaml").read_text())
    document["sources"]["iom_cohort"]["completeness"] = [check]
    path = tmp_path / "probation.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_the_iom_cohort_declares_its_follow_up_check():
    (rule,) = load_registry()["iom_cohort"].completeness
    assert (rule.check, rule.column, rule.months, rule.members) == (
        "follow_up_complete", "start_date", 12, "offenders adopted")


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ({"check": "follow_up_complete", "column": "start_date", "months": 0},
         "completeness.0.follow_up_complete.months: Input should be greater than or equal to 1"),
        ({"check": "follow_up_complete", "column": "start_date"},
         "completeness.0.follow_up_complete.months: Field required"),
        ({"check": "follow_up_complete", "column": "start_date", "months": 12, "days": 3},
         "completeness.0.follow_up_complete.days: Extra inputs are not permitted"),
        ({"check": "follow_up_complete", "column": "baseline_offences", "months": 12},
         "completeness.0.column: follow_up_complete needs a date field of contract iom_cohort "
         "(['start_date', 'exit_date']), not 'baseline_offences'"),
        ({"check": "follow_up_completed", "column": "start_date", "months": 12}, "completeness.0: Input tag"),
    ],
)
def test_a_bad_follow_up_check_names_the_source_and_field(tmp_path, check, message):
    path = _probation(tmp_path, **check)
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert f"{path}: source 'iom_cohort'" in str(error.value)
    assert message in str(error.value)
