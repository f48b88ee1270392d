from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexus.engines.x12 import (
    Delimiters,
    EnvelopeSpec,
    X12Error,
    parse_interchange,
    parse_interchanges,
    serialize,
    tokenize,
    write_interchange,
)

from .conftest import read

GOLDEN = read("837p_acupuncture.x12")


def raises_at(text: str, index: int, seg_id: str, position: int | None) -> X12Error:
    with pytest.raises(X12Error) as info:
        parse_interchanges(text)
    err = info.value
    assert (err.segment_index, err.segment_id, err.element_position) == (index, seg_id, position), str(err)
    return err


def test_tokenize_reads_delimiters_from_isa():
    delims, segs = tokenize(GOLDEN)
    assert delims == Delimiters("*", ":", "^", "~")
    assert [s.seg_id for s in segs[:3]] == ["ISA", "GS", "ST"]
    assert segs[0].index == 1 and segs[-1].index == len(segs) == 37
    clm = next(s for s in segs if s.seg_id == "CLM")
    assert clm.element(1) == "PT000123" and clm.component(5, 1) == "11" and clm.component(5, 3) == "1"
    assert clm.element(99) == "" and clm.component(5, 9) == ""
    sv1 = next(s for s in segs if s.seg_id == "SV1")
    assert sv1.components(1) == ("HC", "99213", "25") and sv1.components(7) == ("1", "2")


def test_envelope_structure_and_controls():
    ic = parse_interchange(GOLDEN)
    assert ic.control_number == "000000123" and ic.sender_id == "CLINICSUBMIT" and ic.usage == "T"
    (group,) = ic.groups
    assert group.functional_id == "HC" and group.control_number == "123" and group.version == "005010X222A1"
    (tx,) = group.transactions
    assert (tx.set_id, tx.control_number, tx.implementation) == ("837", "0001", "005010X222A1")
    assert len(tx.segments) == 33 and tx.body[0].seg_id == "BHT"


def test_newlines_and_crlf_after_terminators_are_ignored():
    one_line = GOLDEN.replace("\n", "")
    crlf = GOLDEN.replace("\n", "\r\n")
    base = [(s.seg_id, s.elements) for s in tokenize(one_line)[1]]
    assert [(s.seg_id, s.elements) for s in tokenize(crlf)[1]] == base
    assert [(s.seg_id, s.elements) for s in tokenize("\n  " + GOLDEN)[1]] == base


def test_repetition_splits():
    text = read("271_multi.x12")
    eb = next(s for s in tokenize(text)[1] if s.seg_id == "EB")
    assert eb.repeats(3) == ("1", "33", "35", "47", "86", "88", "98", "AL", "MH", "UC")


def test_unusual_delimiters_in_the_wild():
    # imsweb's 277CA uses "|" as component separator
    segs = tokenize(read("277ca_rejected.x12"))[1]
    stc = [s for s in segs if s.seg_id == "STC"][-1]
    assert stc.components(1) == ("A7", "562", "85")


def test_wrong_se_count():
    bad = GOLDEN.replace("SE*33*0001~", "SE*32*0001~")
    err = raises_at(bad, 35, "SE", 1)
    assert "33" in err.message and str(err).startswith("segment 35 (SE) element 1:")


def test_mismatched_control_numbers():
    raises_at(GOLDEN.replace("SE*33*0001~", "SE*33*0002~"), 35, "SE", 2)
    raises_at(GOLDEN.replace("GE*1*123~", "GE*1*124~"), 36, "GE", 2)
    raises_at(GOLDEN.replace("IEA*1*000000123~", "IEA*1*000000124~"), 37, "IEA", 2)


def test_wrong_group_and_interchange_counts():
    raises_at(GOLDEN.replace("GE*1*123~", "GE*2*123~"), 36, "GE", 1)
    raises_at(GOLDEN.replace("IEA*1*000000123~", "IEA*3*000000123~"), 37, "IEA", 1)


def test_truncated_file_without_iea():
    text = GOLDEN[: GOLDEN.index("IEA*")]
    raises_at(text, 36, "GE", None)


def test_truncated_mid_segment():
    text = GOLDEN[: GOLDEN.index("GE*1") + 4]
    raises_at(text, 36, "GE", None)


def test_truncated_inside_transaction():
    text = GOLDEN[: GOLDEN.index("LX*3")]
    err = raises_at(text, 31, "DTP", None)
    assert "SE" in err.message


def test_missing_isa():
    raises_at(GOLDEN[GOLDEN.index("GS*"):], 1, "GS", None)
    raises_at("", 0, "", None)


def test_short_isa():
    short = GOLDEN.replace("*CLINICSUBMIT   *", "*CLINICSUBMIT*", 1)
    raises_at(short, 1, "ISA", 6)
    raises_at(GOLDEN[:50], 1, "ISA", 7)


def test_stray_segment_between_transactions():
    bad = GOLDEN.replace("GE*1*123~", "NTE*OOPS~\nGE*1*123~")
    raises_at(bad, 36, "NTE", None)


def test_invalid_segment_id():
    raises_at(GOLDEN.replace("LX*2~", "lx*2~"), 29, "lx", None)


def test_st_before_se():
    bad = GOLDEN.replace("LX*3~", "ST*837*0002~")
    raises_at(bad, 32, "ST", None)


def test_error_str_and_pickle():
    import pickle

    err = X12Error("bad", segment_index=14, segment_id="CLP", element_position=3)
    assert str(err) == "segment 14 (CLP) element 3: bad"
    again = pickle.loads(pickle.dumps(err))
    assert (again.segment_index, again.segment_id, again.element_position) == (14, "CLP", 3)


def test_serializer_rejects_delimiter_in_data():
    spec = EnvelopeSpec("A", "B", 1, 1, datetime(2025, 1, 1))
    with pytest.raises(X12Error) as info:
        write_interchange(spec, "HC", "005010X222A1", [("837", [("BHT", "0019"), ("NM1", "41", "A*B")])])
    assert (info.value.segment_index, info.value.segment_id, info.value.element_position) == (5, "NM1", 2)


def test_delimiters_must_be_distinct():
    with pytest.raises(X12Error):
        Delimiters("*", "*", "^", "~")


# --- round trip -------------------------------------------------------------------------------

PUNCT = "!\"#$%&'()*+,./:;<=>?@[\\]^_`{|}~"
SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -"

delimiter_sets = st.lists(st.sampled_from(PUNCT), min_size=4, max_size=4, unique=True).map(
    lambda c: Delimiters(c[0], c[1], c[2], c[3]))
words = st.text(SAFE, min_size=1, max_size=12).map(str.strip).filter(bool)
elements = st.one_of(
    words,
    st.lists(words, min_size=2, max_size=4).map(tuple),
    st.lists(words, min_size=2, max_size=3),
)
bodies = st.lists(
    st.tuples(st.sampled_from(["NM1", "REF", "N3", "SV1", "DTP", "HI"]), st.lists(elements, min_size=1, max_size=6)),
    min_size=1, max_size=15,
)


@settings(max_examples=60, deadline=None)
@given(delims=delimiter_sets, body=bodies, newline=st.booleans())
def test_round_trip_any_delimiters(delims: Delimiters, body, newline: bool):
    spec = EnvelopeSpec("SENDER", "RECEIVER", 42, 7, datetime(2025, 3, 4, 5, 6))
    segs = [(sid, *els) for sid, els in body]
    text = write_interchange(spec, "HC", "005010X222A1", [("837", segs)], delims, newline=newline)
    ic = parse_interchange(text)
    assert ic.delimiters == delims
    (tx,) = ic.transactions()
    assert len(tx.body) == len(segs)
    for parsed, (sid, els) in zip(tx.body, body, strict=True):
        assert parsed.seg_id == sid
        for n, el in enumerate(els, start=1):
            if isinstance(el, str):
                assert parsed.element(n) == el
            elif isinstance(el, tuple):
                assert parsed.components(n) == el
            else:
                assert parsed.repeats(n) == tuple(el)
    # parse -> serialize -> parse gives equal segments, also when switching delimiters
    _, segments = tokenize(text)
    again = tokenize(serialize(segments, delims))[1]
    assert [(s.seg_id, s.elements) for s in again] == [(s.seg_id, s.elements) for s in segments]
    standard = Delimiters("*", ":", "^", "~")
    other = standard if delims != standard else Delimiters("|", ">", "{", "\n")
    moved = tokenize(serialize(segments, other))[1]
    assert [_norm(s) for s in moved[1:]] == [_norm(s) for s in segments[1:]]


def _norm(seg):
    comp = seg.delimiters.component
    return seg.seg_id, [[r.split(comp) for r in seg.repeats(n)] for n in range(1, len(seg.elements) + 1)]
