from plexus.engines.forms import missing_required, parse, validate
from plexus.engines.forms.answers import page_errors

from .helpers import MINI

FORM = parse(MINI)


def codes(errors):
    return {(e.path, e.code) for e in errors}


def test_valid_complete_answers_pass():
    answers = {"name": "Ana", "born": "1980-02-29", "colour": "red", "likes": ["a", "b"], "pain": 4, "smokes": True,
               "packs": 1, "meds": [{"meds.name": "Ibuprofen", "meds.prn": True, "meds.why": "Back pain"},
                                    {"meds.name": "Vitamin D"}]}
    assert validate(FORM, answers, complete=True) == []


def test_wrong_types_are_named_by_link_id():
    answers = {"name": 5, "born": "1980-02-30", "colour": "green", "likes": "a", "pain": 11, "smokes": "yes"}
    assert codes(validate(FORM, answers)) == {
        ("name", "wrong-type"), ("born", "wrong-type"), ("colour", "not-an-option"), ("likes", "wrong-type"),
        ("pain", "out-of-range"), ("smokes", "wrong-type")}


def test_bool_is_not_a_number_and_multi_codes_are_checked():
    assert codes(validate(FORM, {"pain": True, "likes": ["a", "z"]})) == {("pain", "wrong-type"), ("likes", "not-an-option")}


def test_required_only_when_completing_and_only_when_enabled():
    assert validate(FORM, {}) == []
    assert set(missing_required(FORM, {})) == {"name", "pain", "smokes"}
    assert "packs" in missing_required(FORM, {"smokes": True})
    assert "packs" not in missing_required(FORM, {"smokes": False})


def test_answer_to_a_disabled_item_is_refused():
    errors = validate(FORM, {"smokes": False, "packs": 2})
    assert codes(errors) == {("packs", "disabled")}


def test_repeating_group_entries_are_checked_with_their_own_follow_ups():
    answers = {"meds": [{"meds.name": "A", "meds.why": "x"}, {"meds.prn": "no"}, {"meds.bogus": 1}]}
    assert codes(validate(FORM, answers, complete=True)) >= {
        ("meds[0].meds.why", "disabled"), ("meds[1].meds.prn", "wrong-type"), ("meds[1].meds.name", "required"),
        ("meds[2].meds.bogus", "unknown-item")}
    assert codes(validate(FORM, {"meds": {"meds.name": "A"}})) == {("meds", "wrong-type")}


def test_unknown_items_and_page_limits():
    assert codes(validate(FORM, {"shoe_size": 9})) == {("shoe_size", "unknown-item")}
    assert validate(FORM, {"name": "Ana", "smokes": "x"}, sections=("p1",)) == []
    errors = page_errors(FORM, "p1", {"name": 1, "smokes": True}, {"name": 1, "smokes": True})
    assert codes(errors) == {("smokes", "unknown-item"), ("name", "wrong-type")}
    assert "another page" in errors[0].message
