from hypothesis import given
from hypothesis import strategies as st

from plexus.engines.forms import score, validate

from .helpers import FREQ, shipped

PHQ9 = shipped("phq-9")
GAD7 = shipped("gad-7")
MSI = shipped("symptom-inventory")


def phq(values, difficulty=None):
    out = {f"phq9-{n}": FREQ[v] for n, v in enumerate(values, 1)}
    if difficulty:
        out["phq9-difficulty"] = difficulty
    return out


def test_phq9_bands_at_every_boundary():
    expected = {0: "none-minimal", 4: "none-minimal", 5: "mild", 9: "mild", 10: "moderate", 14: "moderate",
                15: "moderately-severe", 19: "moderately-severe", 20: "severe", 27: "severe"}
    for total, band in expected.items():
        values = [3] * (total // 3) + ([total % 3] if total % 3 else [])
        values = [*(values + [0] * 9)[:8], 0]
        if sum(values) < total:  # put the rest on item 9
            values[8] = total - sum(values)
        s = score(PHQ9, phq(values))
        assert (s.total, s.band.code, s.min, s.max) == (total, band, 0, 27), total


def test_phq9_item_9_positive_is_flagged_and_difficulty_is_not_scored():
    s = score(PHQ9, phq([0] * 8 + [1], difficulty="LA6574-3"))
    assert s.total == 1 and [f.code for f in s.flags] == ["item-9-positive"]
    assert score(PHQ9, phq([3] * 8 + [0])).flags == ()


def test_phq9_completion_requires_all_nine_items():
    errors = validate(PHQ9, phq([1] * 8), complete=True)
    assert [(e.path, e.code) for e in errors] == [("phq9-9", "required")]


def test_gad7_bands():
    for total, band in {0: "minimal", 4: "minimal", 5: "mild", 9: "mild", 10: "moderate", 14: "moderate",
                        15: "severe", 21: "severe"}.items():
        values = [min(3, max(0, total - 3 * i)) for i in range(7)]
        s = score(GAD7, {f"gad7-{n}": FREQ[v] for n, v in enumerate(values, 1)})
        assert (s.total, s.band.code, s.max) == (total, band, 21)


def test_symptom_inventory_scores_by_system():
    answers = {"head-1": "4", "head-2": "1", "digestion-4": "3"}
    s = score(MSI, answers)
    by_id = {g.id: g for g in s.groups}
    assert by_id["head"].score == 5 and by_id["head"].max == 16 and by_id["digestion"].score == 3
    assert s.total == 8 and s.band.code == "low" and s.answered == 3


@given(st.lists(st.integers(0, 3), min_size=9, max_size=9))
def test_phq9_score_is_within_bounds_and_is_the_sum(values):
    s = score(PHQ9, phq(values))
    assert 0 <= s.total <= 27 and s.total == sum(values)
    assert s.band is not None and s.band.min <= s.total <= s.band.max
    assert bool(s.flags) == (values[8] >= 1)


@given(st.lists(st.integers(0, 3), min_size=7, max_size=7))
def test_gad7_score_is_within_bounds(values):
    s = score(GAD7, {f"gad7-{n}": FREQ[v] for n, v in enumerate(values, 1)})
    assert 0 <= s.total <= 21 and s.band.min <= s.total <= s.band.max


MSI_ITEMS = [it.link_id for it, _ in MSI.walk() if it.type.value == "choice"]


@given(st.dictionaries(st.sampled_from(MSI_ITEMS), st.sampled_from(["0", "1", "2", "3", "4"])))
def test_symptom_inventory_total_is_the_sum_of_systems(answers):
    assert validate(MSI, answers, complete=True) == []
    s = score(MSI, answers)
    assert s.total == sum(g.score for g in s.groups) == sum(int(v) for v in answers.values())
    assert 0 <= s.total <= s.max == sum(g.max for g in s.groups) == 4 * len(MSI_ITEMS)
    assert all(0 <= g.score <= g.max for g in s.groups)
    assert s.band.min <= s.total <= s.band.max
