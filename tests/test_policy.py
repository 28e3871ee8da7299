"""The audit policy: defaults, path classes, strict validation, stable hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from provenance.audit.policy import PolicyError, default_policy_text, load_policy, parse_policy


def default():
    return parse_policy(default_policy_text(), "built-in", None)


def test_default_policy_treats_unclassified_material_as_final():
    policy = default()
    assert policy.classify("reel1/sh010/sh010_comp_v003.png") == "final"
    assert policy.classify("poster.png") == "final"


@pytest.mark.parametrize("path, expected", [
    ("temp/x.png", "temporary"),
    ("shots/sh010/wip/x.png", "temporary"),
    ("art/moodboard/ref.jpg", "ideation"),
    ("reference/look.jpg", "reference"),
    ("temporary/x.png", "final"),   # a folder merely starting with "temp" is not the temp folder
    ("shots/temp.png", "final"),    # a file named temp is not a folder
])
def test_default_path_classes(path, expected):
    assert default().classify(path) == expected


def test_default_severities_follow_the_guidance():
    policy = default()
    assert policy.severity_of("final", "unapproved") == "BLOCKER"
    assert policy.severity_of("final", "revoked") == "BLOCKER"
    assert policy.severity_of("final", "stale") == "ISSUE"
    assert policy.severity_of("final", "approved") == "FYI"
    assert policy.severity_of("temporary", "unapproved") == "FYI"
    assert policy.severity_of("final", "clean") is None
    assert policy.uses["final"].categories == ("final-deliverable",)


def test_hash_ignores_comments_and_layout_but_not_settings():
    text = default_policy_text()
    same = parse_policy("# a note\n" + text.replace("\n\n", "\n"), "x", None)
    changed = parse_policy(text.replace('unapproved = "BLOCKER"', 'unapproved = "ISSUE"', 1), "x", None)
    assert same.sha256 == default().sha256
    assert changed.sha256 != default().sha256
    assert changed.severity_of("final", "unapproved") == "ISSUE"


def test_first_matching_class_wins_in_documented_order():
    text = default_policy_text().replace("final = []", 'final = ["**/wip/**"]')
    assert parse_policy(text, "x", None).classify("a/wip/x.png") == "temporary"


@pytest.mark.parametrize("edit, named", [
    (('unapproved = "BLOCKER"', 'unapproved = "CRITICAL"'), "severity.final.unapproved"),
    (('categories = ["final-deliverable"]', 'categories = ["final-deliverables"]'), "uses.final.categories"),
    (('ai-generated = "approval"', 'ai-generated = "maybe"'), "verdicts.ai-generated"),
    (('unmatched = "final"', 'unmatched = "final"\nunmached = 1'), "unmached"),
    (('final = []', 'final = ["/abs/**"]'), "paths.final"),
    (("[c2pa]", "[c2pa2]"), "c2pa"),
    (("schema = 1", "schema = 2"), "schema"),
])
def test_bad_settings_are_one_line_errors_naming_the_setting(edit, named):
    with pytest.raises(PolicyError) as err:
        parse_policy(default_policy_text().replace(*edit, 1), "studio.toml", None)
    message = str(err.value)
    assert "\n" not in message and named in message and message.startswith("studio.toml")


def test_invalid_toml_is_a_policy_error():
    with pytest.raises(PolicyError, match="not valid TOML"):
        parse_policy("schema = [", "p.toml", None)


def test_delivery_policy_is_picked_up_and_policy_option_overrides(tmp_path: Path):
    strict = default_policy_text().replace('no-evidence = "none"', 'no-evidence = "provenance"')
    (tmp_path / "provenance.toml").write_text(strict)
    assert load_policy(None, tmp_path).verdicts["no-evidence"] == "provenance"
    assert load_policy(None, tmp_path).source.endswith("provenance.toml")
    other = tmp_path / "other.toml"
    other.write_text(default_policy_text())
    assert load_policy(other, tmp_path).verdicts["no-evidence"] == "none"
    assert load_policy(None, tmp_path / "nowhere").source == "built-in"


def test_trust_anchors_are_relative_to_the_policy_file(tmp_path: Path):
    text = default_policy_text().replace("trust_anchors = []", 'trust_anchors = ["certs/root.pem"]')
    (tmp_path / "p.toml").write_text(text)
    assert load_policy(tmp_path / "p.toml", None).trust_anchors == (tmp_path / "certs" / "root.pem",)


# --- a partial policy overlays the built-in default -----------------------------------------

PARTIAL = """
schema = 1
[severity.final]
stale = "BLOCKER"
[paths]
ignore = ["_approvals/**"]
"""


def test_a_partial_policy_takes_missing_settings_from_the_default():
    policy = parse_policy(PARTIAL, "studio.toml", None)
    assert policy.severity_of("final", "stale") == "BLOCKER"          # set by the file
    assert policy.severity_of("final", "unapproved") == "BLOCKER"     # kept from the default
    assert policy.severity_of("temporary", "unapproved") == "FYI"
    assert policy.finding_severity("unmatched-approval") == "FYI"
    assert policy.uses["final"].categories == ("final-deliverable",)
    assert policy.ignored("_approvals/ledger.db")


def test_a_policy_written_before_a_new_code_existed_keeps_working():
    # A file from an older release lacks today's finding codes and some statuses entirely.
    old = default_policy_text().replace('unmatched-approval = "FYI"', "").replace('needs-review = "ISSUE"\n', "", 1)
    policy = parse_policy(old, "old.toml", None)
    assert policy.finding_severity("unmatched-approval") == "FYI"
    assert policy.severity_of("final", "needs-review") == "ISSUE"
    assert policy.sha256 == default().sha256


def test_the_hash_covers_the_merged_policy():
    full = default_policy_text().replace('stale = "ISSUE"', 'stale = "BLOCKER"', 1)
    partial = parse_policy('[severity.final]\nstale = "BLOCKER"\n', "p.toml", None)
    assert partial.sha256 == parse_policy(full, "f.toml", None).sha256
    assert partial.sha256 != default().sha256
    assert parse_policy("schema = 1\n", "empty.toml", None).sha256 == default().sha256


@pytest.mark.parametrize("text, named", [
    ('[severity.final]\nstael = "ISSUE"\n', "stael"),
    ('[severity.findings]\nmanifest-mising-file = "FYI"\n', "manifest-mising-file"),
    ('[pathz]\nfinal = []\n', "pathz"),
    ('[uses.final]\ncategories = ["nope"]\n', "uses.final.categories"),
    ('paths = 3\n', "paths"),
])
def test_unknown_keys_in_a_partial_policy_are_still_errors(text, named):
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "studio.toml", None)
    assert named in str(err.value) and "\n" not in str(err.value)


def test_every_setting_says_where_it_came_from():
    policy = parse_policy(PARTIAL, "studio.toml", None)
    origin = {key: source for key, _, source in policy.settings}
    assert origin["severity.final.stale"] == "studio.toml"
    assert origin["paths.ignore"] == "studio.toml"
    assert origin["severity.final.unapproved"] == "built-in"
    assert origin["c2pa.review_states"] == "built-in"
    assert {source for _, _, source in default().settings} == {"built-in"}


def test_the_demo_policy_is_partial_and_means_what_it_meant(tmp_path: Path):
    from tests.conftest import REPO

    demo = load_policy(None, REPO / "sample_assets")
    assert "[severity" not in (REPO / "sample_assets" / "provenance.toml").read_text()
    assert demo.severity_of("final", "unapproved") == "BLOCKER"
    assert demo.ledger_path == REPO / "sample_assets" / "_approvals" / "ledger.db"
