import copy

import pytest

from plexus.engines.forms import DefinitionError, dump, parse

from .helpers import MINI, shipped_all


def test_every_shipped_form_parses_and_dumps_back():
    forms = shipped_all()
    assert {f.slug for f in forms} == {
        "general-health-history", "lifestyle-assessment", "environmental-exposure", "symptom-inventory",
        "acupuncture-intake", "chiropractic-intake", "massage-screening", "nutrition-intake", "phq-9", "gad-7"}
    for form in forms:
        assert parse(dump(form)) == form
        assert form.disciplines


def test_shipped_forms_together_use_every_item_type():
    types = {it.type.value for f in shipped_all() for it, _ in f.walk()}
    assert {"text", "choice", "multi", "scale", "date", "boolean", "group", "integer", "display"} <= types
    assert any(it.repeats for f in shipped_all() for it, _ in f.walk())


def _bad(mutate) -> DefinitionError:
    data = copy.deepcopy(MINI)
    mutate(data)
    with pytest.raises(DefinitionError) as exc:
        parse(data)
    return exc.value


def test_duplicate_link_id_is_named():
    err = _bad(lambda d: d["sections"][1]["items"][0].update(linkId="name"))
    assert "name" in str(err) and "twice" in str(err)


def test_choice_without_options_and_unknown_type_are_named_with_paths():
    def mutate(d):
        d["sections"][0]["items"][2]["options"] = []
        d["sections"][0]["items"][0]["type"] = "essay"
    err = _bad(mutate)
    paths = [p for p, _ in err.problems]
    assert "sections[0].items[2].options" in paths and "sections[0].items[0].type" in paths


def test_enable_when_must_point_at_an_existing_question_with_a_possible_answer():
    err = _bad(lambda d: d["sections"][1]["items"][1].update(enableWhen=[{"question": "nope", "answer": True}]))
    assert "nope is not an answerable item" in str(err)
    err = _bad(lambda d: d["sections"][1]["items"][1].update(enableWhen=[{"question": "colour", "answer": "green"}]))
    assert "'green' is not a possible answer" in str(err)


def test_scale_needs_bounds_and_only_groups_repeat():
    err = _bad(lambda d: d["sections"][0]["items"][4].update(min=5, max=5))
    assert "min < max" in str(err)
    err = _bad(lambda d: d["sections"][0]["items"][0].update(repeats=True))
    assert "only groups repeat" in str(err)


def test_scoring_bands_must_cover_every_score():
    def mutate(d):
        d["sections"][0]["items"][2]["options"] = [{"code": "a", "display": "A", "value": 0}, {"code": "b", "display": "B", "value": 3}]
        d["scoring"] = {"items": ["colour", "pain"], "bands": [{"min": 0, "max": 5, "code": "lo", "label": "Low"},
                                                               {"min": 7, "max": 13, "code": "hi", "label": "High"}]}
    err = _bad(mutate)
    assert "without gaps" in str(err)


def test_scored_item_needs_values():
    err = _bad(lambda d: d.update(scoring={"items": ["colour"]}))
    assert "scored item colour must be a choice with a value on every option" in str(err)
