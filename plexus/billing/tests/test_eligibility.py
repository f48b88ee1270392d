"""Eligibility end to end: 270 out (file exchange or HTTP), 271 in, benefit lines, bad input."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from plexus.billing.clearinghouse import HttpClearinghouse, get_clearinghouse
from plexus.billing.models import BenefitLine, CheckStatus, EligibilityCheck, UnmatchedResponse
from plexus.billing.services import eligibility_check_create, eligibility_check_run, x12_import
from plexus.billing.simulator import STANDARDS_BODY
from plexus.billing.tests.conftest import SERVICE_DATE, standards_answer
from plexus.core.errors import ApplicationError
from plexus.core.models import Practice
from plexus.engines.x12 import parse_interchange
from plexus.patients.models import Coverage, Patient

ALL = ["30", "33", "64", "BE", "MH", "98"]


def _run(admin_actor, patient, **kw):
    return eligibility_check_run(actor=admin_actor, patient=patient, coverage_id=patient.coverages.get().pk,
                                 service_types=kw.pop("service_types", ALL), service_date=SERVICE_DATE, **kw)


def test_270_parses_back_with_the_right_loops(patient, admin_actor, clearinghouse_dir):
    check = _run(admin_actor, patient)
    assert check.status == CheckStatus.SENT and check.transport == "file"
    (tx,) = parse_interchange(check.request_x12).transactions()
    assert (tx.set_id, tx.implementation) == ("270", "005010X279A1")
    segs = [(s.seg_id, s.elements) for s in tx.body]
    practice = Practice.objects.get()
    hls = [e[:4] for sid, e in segs if sid == "HL"]
    assert hls == [("1", "", "20", "1"), ("2", "1", "21", "1"), ("3", "2", "22", "0")]  # 2000A, 2000B, 2000C
    nm1 = {e[0]: e for sid, e in segs if sid == "NM1"}
    assert nm1["PR"][2] == "EVERGREEN HEALTH PPO" and nm1["PR"][7:9] == ("PI", "EVG01")        # 2100A payer
    assert nm1["1P"][7:9] == ("XX", practice.group_npi)                                        # 2100B practice
    assert nm1["IL"][2:4] == ("LOPEZ", "MARIA") and nm1["IL"][8] == "EVG8842001"              # 2100C member
    assert ("TRN", ("1", check.trace_number, "9PLEXUS000")) in segs
    assert ("DTP", ("291", "D8", "20261130")) in segs
    assert [e[0] for sid, e in segs if sid == "EQ"] == ALL
    isa = parse_interchange(check.request_x12).isa
    assert isa.element(6).strip() == practice.group_npi and isa.element(8).strip() == "EVG01"


def test_dependent_inquiry_has_subscriber_and_dependent_levels(patient, admin_actor):
    cov = patient.coverages.get()
    Coverage.objects.filter(pk=cov.pk).update(relationship="19", subscriber_first_name="Rosa",
                                              subscriber_last_name="Lopez", subscriber_date_of_birth="1950-03-03")
    check = _run(admin_actor, patient)
    (tx,) = parse_interchange(check.request_x12).transactions()
    hls = [s.elements[:4] for s in tx.body if s.seg_id == "HL"]
    assert hls[-2:] == [("3", "2", "22", "1"), ("4", "3", "23", "0")]
    names = [(s.element(1), s.element(4)) for s in tx.body if s.seg_id == "NM1"]
    assert ("IL", "ROSA") in names and ("03", "MARIA") in names
    answer = standards_answer(check.request_x12)
    assert x12_import(actor=admin_actor, text=answer).matched == 1


def test_file_exchange_round_trip(patient, admin_actor, clearinghouse_dir):
    check = _run(admin_actor, patient)
    (outfile,) = (clearinghouse_dir / "outbox").iterdir()
    assert outfile.read_text() == check.request_x12 and check.outbox_file == outfile.name
    inbox = clearinghouse_dir / "inbox"
    inbox.mkdir()
    (inbox / "answer.271").write_text(standards_answer(outfile.read_text()))
    call_command("import_x12", "--inbox")
    check.refresh_from_db()
    assert check.status == CheckStatus.ANSWERED and check.plan_name == "GOLD PPO" and check.plan_active
    lines = {b.service_type: b for b in check.benefit_lines.all()}
    assert set(lines) == set(ALL)
    assert lines["64"].coinsurance_percent == 20 and lines["64"].visits_total == 12
    assert lines["33"].visits_remaining == 14 and lines["BE"].status == "red"
    assert (clearinghouse_dir / "processed" / "answer.271").exists() and not list(inbox.iterdir())
    # Importing the same answer again changes nothing.
    assert x12_import(actor=admin_actor, text=check.response_x12).duplicates == 1
    assert BenefitLine.objects.count() == len(ALL)


def test_import_command_with_file_argument_and_summary(patient, admin_actor, tmp_path, capsys):
    check = _run(admin_actor, patient)
    path = tmp_path / "a.271"
    path.write_text(standards_answer(check.request_x12))
    call_command("import_x12", str(path))
    assert "1 answers matched" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Give one or more files"):
        call_command("import_x12")


def test_malformed_271_names_segment_and_position_and_saves_nothing(patient, admin_actor, tmp_path):
    check = _run(admin_actor, patient)
    good = standards_answer(check.request_x12)
    bad = good.replace("EB*F*IND*33***23***VS*20~", "EB*F*IND*33***23***VS*~")
    with pytest.raises(ApplicationError) as exc:
        x12_import(actor=admin_actor, text=bad)
    assert exc.value.status == 422
    assert "segment 20 (EB) element 10" in exc.value.detail and exc.value.errors[0].field == "file"
    check.refresh_from_db()
    assert check.status == CheckStatus.SENT and not BenefitLine.objects.exists()
    assert not UnmatchedResponse.objects.exists()
    path = tmp_path / "bad.271"
    path.write_text(good.replace("SE*", "SE*9"))  # wrong segment count
    with pytest.raises(CommandError, match=r"bad.271: Malformed X12.*\(SE\) element 1"):
        call_command("import_x12", str(path))
    check.refresh_from_db()
    assert check.status == CheckStatus.SENT


def test_all_or_nothing_per_file_with_a_bad_second_transaction(patient, admin_actor):
    check = _run(admin_actor, patient)
    good = standards_answer(check.request_x12)
    truncated = good[: good.index("IEA")]
    with pytest.raises(ApplicationError, match="truncated"):
        x12_import(actor=admin_actor, text=good + truncated)
    check.refresh_from_db()
    assert check.status == CheckStatus.SENT


def test_unknown_trace_goes_to_unmatched_list(patient, admin_actor):
    check = _run(admin_actor, patient)
    answer = standards_answer(check.request_x12).replace(check.trace_number, "NOSUCHTRACE")
    result = x12_import(actor=admin_actor, text=answer, source_name="file:x.271")
    assert (result.matched, result.unmatched) == (0, 1)
    u = UnmatchedResponse.objects.get()
    assert (u.trace_number, u.member_id, u.last_name) == ("NOSUCHTRACE", "EVG8842001", "LOPEZ")
    assert "ISA*" in u.x12


@pytest.mark.parametrize("st", ["999", "835", "277"])
def test_a_271_body_under_another_type_is_malformed_and_imports_nothing(patient, admin_actor, st):
    check = _run(admin_actor, patient)
    text = standards_answer(check.request_x12).replace("ST*271*", f"ST*{st}*")
    with pytest.raises(ApplicationError, match="Malformed X12, nothing was imported: segment"):
        x12_import(actor=admin_actor, text=text)
    assert EligibilityCheck.objects.get(pk=check.pk).status == CheckStatus.SENT


def test_outbound_types_cannot_be_imported(patient, admin_actor):
    check = _run(admin_actor, patient)
    with pytest.raises(ApplicationError, match="Plexus imports 271, 999, 277CA and 835 files, not 270"):
        x12_import(actor=admin_actor, text=check.request_x12)


def test_rejected_answer_is_stored_with_reason(patient, admin_actor):
    from plexus.billing.simulator import answer_270

    check = _run(admin_actor, patient)
    text = answer_270(check.request_x12, lambda m: [], created=check.sent_at.replace(tzinfo=None),
                      unknown_members=["EVG8842001"])
    x12_import(actor=admin_actor, text=text)
    check.refresh_from_db()
    assert check.status == CheckStatus.REJECTED
    assert check.rejections == ["Payer rejected the request: subscriber not found (AAA 75)"]


def test_coverage_must_belong_to_patient_and_be_active(patient, admin_actor, payer):
    other = Patient.objects.create(chart_number="P900002", legal_first_name="A", legal_last_name="B",
                                   date_of_birth="1980-01-01", sex_for_claims="M")
    cov = Coverage.objects.create(patient=other, payer=payer, member_id="X1", effective_date="2026-01-01")
    with pytest.raises(ApplicationError, match="does not belong"):
        eligibility_check_create(actor=admin_actor, patient=patient, coverage_id=cov.pk, service_types=["30"],
                                 service_date=SERVICE_DATE)
    Coverage.objects.filter(pk=cov.pk).update(end_date="2026-06-30")
    with pytest.raises(ApplicationError, match="not active"):
        eligibility_check_create(actor=admin_actor, patient=other, coverage_id=cov.pk, service_types=["30"],
                                 service_date=SERVICE_DATE)
    with pytest.raises(ApplicationError, match="Unknown service type 'BW'"):
        _run(admin_actor, patient, service_types=["BW"])
    assert not EligibilityCheck.objects.exists()


# --- real-time HTTP against a local clearinghouse on 127.0.0.1 ------------------------------------


class _Clearinghouse(BaseHTTPRequestHandler):
    received: list[tuple[dict, str]] = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        type(self).received.append((dict(self.headers), body))
        if type(self).status != 200:
            self.send_response(type(self).status)
            self.end_headers()
            return
        answer = standards_answer(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/edi-x12")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_clearinghouse(monkeypatch):
    _Clearinghouse.received, _Clearinghouse.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), _Clearinghouse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/eligibility"
    monkeypatch.setenv("PLEXUS_CLEARINGHOUSE_URL", url)
    monkeypatch.setenv("PLEXUS_CLEARINGHOUSE_TOKEN", "s3cret")
    yield _Clearinghouse
    server.shutdown()
    server.server_close()


def test_http_adapter_real_exchange(patient, admin_actor, local_clearinghouse, clearinghouse_dir):
    assert isinstance(get_clearinghouse(), HttpClearinghouse)
    check = _run(admin_actor, patient)
    assert check.status == CheckStatus.ANSWERED and check.transport == "http"
    ((headers, body),) = local_clearinghouse.received
    assert headers["Authorization"] == "Bearer s3cret" and headers["Content-Type"] == "application/edi-x12"
    assert body == check.request_x12 and check.response_x12.startswith("ISA*")
    lines = {b.service_type: b for b in check.benefit_lines.all()}
    assert lines["64"].headline == "Acupuncture: covered, 20% coinsurance, 12 visits per 90 days"
    assert not (clearinghouse_dir / "outbox").exists()  # nothing written for file exchange


def test_http_adapter_failure_marks_check_error(patient, admin_actor, local_clearinghouse):
    local_clearinghouse.status = 503
    check = _run(admin_actor, patient)
    assert check.status == CheckStatus.ERROR and check.error == "clearinghouse answered HTTP 503"
    assert not check.benefit_lines.exists()


def test_http_adapter_unreachable(patient, admin_actor, monkeypatch):
    monkeypatch.setenv("PLEXUS_CLEARINGHOUSE_URL", "http://127.0.0.1:9/none")
    check = _run(admin_actor, patient)
    assert check.status == CheckStatus.ERROR and check.error.startswith("clearinghouse unreachable")


def test_standards_body_is_the_validated_sample():
    assert len(STANDARDS_BODY) == 13 and STANDARDS_BODY[5][0] == "HSD"
