"""Encounters -> charges -> claims -> 837P -> 999/277CA -> 835 -> ledger, through the services."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from plexus.billing import ledger
from plexus.billing.charges import EncounterInput, LineInput, charge_void, encounter_approve, encounter_record
from plexus.billing.claims import batch_build, batch_rebuild_text, claim_scrub, claim_transition
from plexus.billing.models import (
    Account,
    Authorization,
    Charge,
    ChargeStatus,
    Claim,
    ClaimStatus,
    Encounter,
    FeeSchedule,
    FeeScheduleEntry,
    LedgerEntry,
    Remittance,
    RemittanceClaim,
)
from plexus.billing.payer_sim import Policy, adjudicate
from plexus.billing.services import x12_import
from plexus.core.errors import ApplicationError
from plexus.core.models import Payer
from plexus.engines.x12.tests.pyx12_oracle import validate_with_pyx12
from plexus.patients.models import Coverage

ACU = "Acupuncture, initial 15 min (97810)"
EM = "New patient visit, moderate complexity (99204)"
MASSAGE = "Therapeutic massage 60 min (97124)"
LBP = ("M54.50",)


def _coverage(patient) -> Coverage:
    return patient.coverages.get(priority=1)


def _encounter(actor, appt, dx=LBP, coverage=True, **kw) -> Encounter:
    cov = _coverage(appt.patient).pk if coverage else None
    return encounter_record(actor=actor, data=EncounterInput(appointment_id=appt.pk, diagnoses=dx, coverage_id=cov,
                                                            **kw))


def _claim_for(actor, completed_visit, service=ACU, practitioner="Li", minutes=60, dx=LBP) -> Claim:
    enc = _encounter(actor, completed_visit(service, practitioner, minutes=minutes), dx=dx)
    return encounter_approve(actor=actor, encounter=enc)


# --- charges ----------------------------------------------------------------------------------------


def test_acupuncture_60_minutes_codes_initial_plus_three_add_on_units(billing_actor, completed_visit):
    enc = _encounter(billing_actor, completed_visit(ACU, "Li", minutes=60))
    lines = [(c.procedure_code, c.units, c.amount, c.stream) for c in enc.charges.order_by("position")]
    assert lines == [("97810", Decimal("1.00"), Decimal("75.00"), "insurance"),
                     ("97811", Decimal("3.00"), Decimal("150.00"), "insurance")]
    assert enc.diagnoses == ["M5450"] and enc.place_of_service == "11" and enc.minutes == 60
    assert all(c.status == ChargeStatus.REVIEW for c in enc.charges.all())


def test_payer_fee_schedule_wins_over_the_default(billing_actor, completed_visit, payer):
    schedule = FeeSchedule.objects.create(name="Evergreen contract", payer=payer)
    FeeScheduleEntry.objects.create(schedule=schedule, procedure_code="97810", amount=Decimal("68.00"))
    enc = _encounter(billing_actor, completed_visit(ACU, "Li", minutes=15))
    charge = enc.charges.get()
    assert (charge.procedure_code, charge.unit_fee, charge.fee_source) == ("97810", Decimal("68.00"),
                                                                            "Evergreen contract")


def test_massage_is_direct_pay_even_with_coverage(billing_actor, completed_visit):
    enc = _encounter(billing_actor, completed_visit(MASSAGE, "Ortiz"), dx=("M62.830",))
    assert {c.stream for c in enc.charges.all()} == {"direct"}
    assert encounter_approve(actor=billing_actor, encounter=enc) is None
    assert ledger.balance(enc.patient_id) == ledger.Balance(Decimal("0.00"), Decimal("120.00"))


@pytest.mark.parametrize(("data", "field"), [
    ({"diagnoses": ("5450",)}, "diagnoses[0]"),
    ({"diagnoses": ()}, "diagnoses"),
    ({"place_of_service": "7A"}, "place_of_service"),
    ({"minutes": 0}, "minutes"),
    ({"lines": (LineInput("99999"),)}, "lines[0].procedure_code"),
    ({"lines": (LineInput("97810", diagnosis_pointers=(2,)),)}, "lines[0].diagnosis_pointers"),
    ({"lines": (LineInput("97810", units=Decimal(0)),)}, "lines[0].units"),
])
def test_bad_encounter_input_names_the_field_and_saves_nothing(billing_actor, completed_visit, data, field):
    appt = completed_visit(ACU, "Li")
    base = {"appointment_id": appt.pk, "diagnoses": LBP, "coverage_id": _coverage(appt.patient).pk}
    with pytest.raises(ApplicationError) as exc:
        encounter_record(actor=billing_actor, data=EncounterInput(**{**base, **data}))
    assert field in [e.field for e in exc.value.errors]
    assert not Encounter.objects.exists() and not Charge.objects.exists()


def test_encounter_needs_a_completed_appointment_and_only_once(billing_actor, completed_visit):
    appt = completed_visit(ACU, "Li")
    _encounter(billing_actor, appt)
    with pytest.raises(ApplicationError) as exc:
        _encounter(billing_actor, appt)
    assert exc.value.status == 409
    appt.status = "booked"
    appt.save()
    with pytest.raises(ApplicationError) as exc:
        _encounter(billing_actor, completed_visit(ACU, "Li", day=date(2026, 11, 19)).__class__.objects.get(pk=appt.pk))
    assert exc.value.status == 409


def test_void_charge_only_while_under_review(billing_actor, completed_visit):
    enc = _encounter(billing_actor, completed_visit(ACU, "Li", minutes=15))
    charge = enc.charges.get()
    with pytest.raises(ApplicationError):
        charge_void(actor=billing_actor, charge=charge, reason=" ")
    charge_void(actor=billing_actor, charge=charge, reason="coded in error")
    with pytest.raises(ApplicationError) as exc:
        charge_void(actor=billing_actor, charge=charge, reason="again")
    assert exc.value.status == 409


# --- claims and the scrubber -----------------------------------------------------------------------


def test_approved_encounter_becomes_a_ready_claim_and_posts_insurance_charges(billing_actor, completed_visit):
    claim = _claim_for(billing_actor, completed_visit)
    assert claim.status == ClaimStatus.READY, claim.problems
    assert claim.patient_control_number == f"PLX{claim.pk:07d}"
    assert claim.total_charge == Decimal("225.00")
    assert [e.to_status for e in claim.events.all()] == ["draft", "ready"]
    assert ledger.balance(claim.patient_id) == ledger.Balance(Decimal("225.00"), Decimal("0.00"))


def test_scrubber_lists_every_problem_and_keeps_the_claim_in_draft(billing_actor, completed_visit, addressed):
    addressed.address_line1 = ""
    addressed.save()
    claim = _claim_for(billing_actor, completed_visit, practitioner="Li", dx=("M54.50", "Z00.00"))
    claim.lines.update(diagnosis_pointers=[3])
    claim = claim_scrub(actor=billing_actor, claim=claim)
    codes = {p["code"] for p in claim.errors}
    assert claim.status == ClaimStatus.DRAFT
    assert len(codes) >= 2 and any("pointer" in c for c in codes), claim.problems
    assert any(p["field"].startswith("lines[0]") for p in claim.errors)


def test_medicare_acupuncture_by_lac_is_billed_by_the_supervising_physician(billing_actor, completed_visit,
                                                                            addressed):
    medicare = Payer.objects.get(payer_id="02402")
    cov = Coverage.objects.create(patient=addressed, payer=medicare, member_id="1EG4TE5MK73", priority=2,
                                  effective_date=date(2026, 1, 1))
    appt = completed_visit(ACU, "Li", minutes=30)
    enc = encounter_record(actor=billing_actor, data=EncounterInput(appt.pk, ("M54.50",), cov.pk, improving=True))
    claim = encounter_approve(actor=billing_actor, encounter=enc)
    assert claim.rendering.last_name == "Chen" and claim.supervising is None
    enc2 = encounter_record(actor=billing_actor, data=EncounterInput(
        completed_visit(ACU, "Li", day=date(2026, 11, 13)).pk, ("M54.2",), cov.pk))
    claim2 = encounter_approve(actor=billing_actor, encounter=enc2)
    assert claim2.status == ClaimStatus.DRAFT
    assert "acu-diagnosis" in {p["code"] for p in claim2.errors}


def test_authorization_used_up_is_a_warning_at_claim_time(billing_actor, completed_visit, addressed):
    Authorization.objects.create(patient=addressed, coverage=_coverage(addressed), number="AUTH-1",
                                 procedure_codes=["97810", "97811"], visits_approved=1, start_date=date(2026, 11, 1),
                                 end_date=date(2026, 12, 31))
    first = _claim_for(billing_actor, completed_visit, minutes=30)
    assert first.authorization.number == "AUTH-1" and first.status == ClaimStatus.READY
    second = _claim_for(billing_actor, lambda *a, **k: completed_visit(*a, **{**k, "day": date(2026, 11, 23)}),
                        minutes=30)
    assert "auth-visits-used" in {p["code"] for p in second.problems}


def test_manual_transitions_are_checked(billing_actor, completed_visit):
    claim = _claim_for(billing_actor, completed_visit)
    with pytest.raises(ApplicationError) as exc:
        claim_transition(actor=billing_actor, claim=claim, to=ClaimStatus.PAID)
    assert exc.value.status == 409 and Claim.objects.get(pk=claim.pk).status == ClaimStatus.READY


# --- 837P batches -----------------------------------------------------------------------------------


def test_batch_837p_validates_with_pyx12_and_rebuilding_is_identical(billing_actor, completed_visit):
    c1 = _claim_for(billing_actor, completed_visit)
    c2 = _claim_for(billing_actor, completed_visit, service=EM, practitioner="Chen", minutes=45,
                    dx=("M54.50", "G89.29"))
    batch = batch_build(actor=billing_actor)
    assert batch.claim_count == 2 and batch.total_charge == c1.total_charge + Decimal("250.00")
    ok, messages = validate_with_pyx12(batch.x12)
    assert ok, messages
    assert batch_rebuild_text(batch) == batch.x12
    assert batch.x12.count("CLM*") == 2
    assert {c.status for c in Claim.objects.all()} == {ClaimStatus.SUBMITTED}
    with pytest.raises(ApplicationError) as exc:  # nothing is ready any more: no second batch, no duplicate
        batch_build(actor=billing_actor)
    assert exc.value.status == 409
    assert Claim.objects.filter(batch=batch).count() == 2 and c2.pk


def test_batch_leaves_out_claims_with_scrub_errors(billing_actor, completed_visit, addressed):
    good = _claim_for(billing_actor, completed_visit)
    later = lambda *a, **k: completed_visit(*a, **{**k, "hour": 14})  # noqa: E731 (no overlap on PostgreSQL)
    bad = _claim_for(billing_actor, later, dx=("M54.50",))
    bad.lines.update(diagnosis_pointers=[5])
    claim_scrub(actor=billing_actor, claim=bad)
    batch = batch_build(actor=billing_actor)
    assert list(batch.claims.values_list("pk", flat=True)) == [good.pk]
    assert Claim.objects.get(pk=bad.pk).status == ClaimStatus.DRAFT


# --- acknowledgements and remittance -----------------------------------------------------------------

NOW = datetime(2026, 11, 27, 18, 0)


def _round_trip(actor, completed_visit):
    acu = _claim_for(actor, completed_visit)
    em = _claim_for(actor, completed_visit, service=EM, practitioner="Chen", minutes=45)
    batch = batch_build(actor=actor)
    return acu, em, batch, adjudicate(batch.x12, created=NOW, control_number=7)


def test_999_and_277ca_accept_the_claims(billing_actor, completed_visit):
    acu, _em, _batch, answers = _round_trip(billing_actor, completed_visit)
    r999 = x12_import(actor=billing_actor, text=answers.ack_999, source_name="ack.999")
    assert (r999.kind, r999.accepted, r999.rejected) == ("999", 2, 0)
    r277 = x12_import(actor=billing_actor, text=answers.ack_277ca, source_name="ack.277")
    assert (r277.accepted, r277.rejected, r277.unmatched) == (2, 0, 0)
    assert set(Claim.objects.values_list("status", flat=True)) == {ClaimStatus.ACCEPTED}
    assert Claim.objects.get(pk=acu.pk).payer_claim_number
    again = x12_import(actor=billing_actor, text=answers.ack_277ca, source_name="ack.277")
    assert again.duplicate


def test_277ca_rejection_sends_the_claim_back(billing_actor, completed_visit):
    acu, _em, _batch, answers = _round_trip(billing_actor, completed_visit)
    rejected = answers.ack_277ca.replace(f"TRN*2*{acu.patient_control_number}~STC*A2:20:PR",
                                         f"TRN*2*{acu.patient_control_number}~STC*A7:562:85")
    result = x12_import(actor=billing_actor, text=rejected, source_name="ack.277")
    assert (result.accepted, result.rejected) == (1, 1)
    acu.refresh_from_db()
    assert acu.status == ClaimStatus.REJECTED and "277ca-rejected" in {p["code"] for p in acu.problems}
    claim_transition(actor=billing_actor, claim=acu, to=ClaimStatus.DRAFT, note="fix and resend")
    acu.refresh_from_db()
    assert acu.status == ClaimStatus.READY
    assert batch_build(actor=billing_actor).claims.get().pk == acu.pk


def test_835_posts_payments_adjustments_and_patient_responsibility_once(billing_actor, completed_visit):
    acu, _em, _batch, answers = _round_trip(billing_actor, completed_visit)
    before = ledger.balance(acu.patient_id)
    assert before.insurance_pending == Decimal("475.00")
    ok, messages = validate_with_pyx12(answers.remit_835, with_ack=False)
    assert ok, messages
    result = x12_import(actor=billing_actor, text=answers.remit_835, source_name="era.835")
    assert (result.matched, result.unmatched, result.denied) == (2, 0, 0)
    # allowed 80% = 380.00; coinsurance 20% of allowed = 76.00 owed by the patient; paid 304.00
    assert result.paid == Decimal("304.00") and result.patient_responsibility == Decimal("76.00")
    after = ledger.balance(acu.patient_id)
    assert after == ledger.Balance(Decimal("0.00"), Decimal("76.00"))
    assert set(Claim.objects.values_list("status", flat=True)) == {ClaimStatus.PAID}
    n = LedgerEntry.objects.count()
    again = x12_import(actor=billing_actor, text=answers.remit_835, source_name="era.835")
    assert again.duplicates == 1 and again.matched == 0
    assert LedgerEntry.objects.count() == n and Remittance.objects.count() == 1
    co = LedgerEntry.objects.filter(group_code="CO", reason_code="45")
    assert sum(e.amount for e in co) == Decimal("-95.00")


def test_835_denial_goes_to_the_denial_list(billing_actor, completed_visit):
    acu, _em, batch, _ = _round_trip(billing_actor, completed_visit)
    answers = adjudicate(batch.x12, created=NOW, control_number=8,
                         policy=Policy(denied_codes=frozenset({"97810", "97811"})))
    x12_import(actor=billing_actor, text=answers.remit_835, source_name="era.835")
    acu.refresh_from_db()
    assert acu.status == ClaimStatus.DENIED
    rc = RemittanceClaim.objects.get(claim=acu)
    assert rc.denied and rc.adjustments[0]["group"] == "CO" and "N130" in rc.remark_codes
    assert ledger.balance(acu.patient_id).insurance_pending == Decimal("0.00")
    claim_transition(actor=billing_actor, claim=acu, to=ClaimStatus.APPEALED, note="Medical necessity letter")
    assert Claim.objects.get(pk=acu.pk).status == ClaimStatus.APPEALED


def test_835_for_an_unknown_claim_is_kept_unmatched(billing_actor, completed_visit):
    acu, _em, _batch, answers = _round_trip(billing_actor, completed_visit)
    text = answers.remit_835.replace(f"CLP*{acu.patient_control_number}*", "CLP*UNKNOWN123*")
    result = x12_import(actor=billing_actor, text=text, source_name="era.835")
    assert (result.matched, result.unmatched) == (1, 1)
    assert RemittanceClaim.objects.filter(claim__isnull=True, patient_control_number="UNKNOWN123").exists()
    assert Claim.objects.get(pk=acu.pk).status == ClaimStatus.SUBMITTED


def test_malformed_835_imports_nothing_and_names_the_segment(billing_actor, completed_visit):
    _acu, _em, _batch, answers = _round_trip(billing_actor, completed_visit)
    broken = answers.remit_835.replace("CAS*CO*45*", "CAS*XX*45*", 1)
    with pytest.raises(ApplicationError) as exc:
        x12_import(actor=billing_actor, text=broken, source_name="era.835")
    assert "CAS" in exc.value.detail and "segment" in exc.value.detail
    assert not Remittance.objects.exists() and not LedgerEntry.objects.filter(kind="insurance_payment").exists()


def test_secondary_claim_after_primary_payment(billing_actor, completed_visit, addressed):
    Coverage.objects.create(patient=addressed, payer=Payer.objects.get(payer_id="PBC03"), member_id="PBC555",
                            priority=2, effective_date=date(2026, 1, 1))
    acu = _claim_for(billing_actor, completed_visit)
    batch = batch_build(actor=billing_actor)
    answers = adjudicate(batch.x12, created=NOW, control_number=9)
    result = x12_import(actor=billing_actor, text=answers.remit_835, source_name="era.835")
    assert len(result.secondary_claims) == 1
    second = Claim.objects.get(pk=result.secondary_claims[0])
    assert second.primary_claim_id == acu.pk and second.payer.payer_id == "PBC03"
    # the coinsurance waits for the secondary payer instead of the patient
    assert ledger.balance(acu.patient_id) == ledger.Balance(Decimal("36.00"), Decimal("0.00"))
    assert second.status == ClaimStatus.READY, second.problems
    # the secondary 837P carries the primary's adjudication (COB loops 2320/2330A/2330B/2430) and validates
    text = batch_build(actor=billing_actor).x12
    ok, messages = validate_with_pyx12(text)
    assert ok, messages
    # 97810 charge 75: allowed 60 (CO-45 15), coinsurance 12 (PR-2), paid 48; the claim paid 144 in all
    assert "SBR*S*18*" in text and "SBR*P*18*" in text and "AMT*D*144~" in text and "OI***Y***Y~" in text
    assert "SVD*EVG01*48*HC:97810**1~\nCAS*CO*45*15~\nCAS*PR*2*12~" in text


# --- the ledger --------------------------------------------------------------------------------------


def test_ledger_entries_never_change(billing_actor, completed_visit):
    claim = _claim_for(billing_actor, completed_visit)
    entry = LedgerEntry.objects.filter(claim__isnull=True).first() or LedgerEntry.objects.first()
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal(0))
    with pytest.raises(TypeError):
        LedgerEntry.objects.all().delete()
    from django.db import DatabaseError, connection, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE billing_ledgerentry SET amount = 0")
    assert ledger.balance(claim.patient_id).insurance_pending == Decimal("225.00")


def test_patient_payment_lowers_the_balance_once(billing_actor, completed_visit):
    enc = _encounter(billing_actor, completed_visit(MASSAGE, "Ortiz"), dx=("M62.830",))
    encounter_approve(actor=billing_actor, encounter=enc)
    ledger.patient_payment_record(actor=billing_actor, patient_id=enc.patient_id, amount=Decimal("50.00"),
                                  method="hsa", reference="R-1")
    with pytest.raises(ApplicationError) as exc:
        ledger.patient_payment_record(actor=billing_actor, patient_id=enc.patient_id, amount=Decimal("50.00"),
                                      method="hsa", reference="R-1")
    assert exc.value.status == 409
    with pytest.raises(ApplicationError) as exc:
        ledger.patient_payment_record(actor=billing_actor, patient_id=enc.patient_id, amount=Decimal("-1"),
                                      method="gold", reference="")
    assert {e.field for e in exc.value.errors} == {"amount", "method", "reference"}
    assert ledger.balance(enc.patient_id).patient_due == Decimal("70.00")
    rows = {r.account: r for r in ledger.aging(date(2026, 11, 27))}
    assert rows[Account.PATIENT].b0_30 == Decimal("70.00")


def test_export_claims_command_writes_the_same_file_twice(billing_actor, completed_visit, tmp_path):
    from django.core.management import CommandError, call_command

    _claim_for(billing_actor, completed_visit)
    first, second = tmp_path / "a.x12", tmp_path / "b.x12"
    call_command("export_claims", "--build", "--out", str(first))
    batch = Claim.objects.get().batch
    call_command("export_claims", "--batch", str(batch.control_number), "--out", str(second))
    assert first.read_text() == second.read_text() == batch.x12
    assert first.read_text().count("CLM*") == 1
    with pytest.raises(CommandError, match="No claims are ready"):
        call_command("export_claims", "--build", "--out", str(tmp_path / "c.x12"))
    with pytest.raises(CommandError, match="No claim batch 999"):
        call_command("export_claims", "--batch", "999", "--out", str(tmp_path / "d.x12"))
    assert not (tmp_path / "c.x12").exists()


def test_unmatched_835_claim_posted_by_hand_or_dismissed(billing_actor, completed_visit):
    from plexus.billing.remittance import unmatched_dismiss, unmatched_match

    acu, em, _batch, answers = _round_trip(billing_actor, completed_visit)
    text = answers.remit_835.replace(f"CLP*{acu.patient_control_number}*", "CLP*PLX-TYPO*")
    x12_import(actor=billing_actor, text=text, source_name="era.835")
    rc = RemittanceClaim.objects.get(patient_control_number="PLX-TYPO")
    with pytest.raises(ApplicationError) as exc:
        unmatched_match(actor=billing_actor, rc=rc, patient_control_number="NOPE")
    assert exc.value.errors[0].field == "patient_control_number"
    assert ledger.balance(acu.patient_id).insurance_pending == Decimal("225.00")  # only the E/M posted
    unmatched_match(actor=billing_actor, rc=rc, patient_control_number=acu.patient_control_number)
    acu.refresh_from_db()
    assert acu.status == ClaimStatus.PAID and ledger.balance(acu.patient_id).insurance_pending == Decimal("0.00")
    with pytest.raises(ApplicationError) as exc:
        unmatched_dismiss(actor=billing_actor, rc=RemittanceClaim.objects.get(pk=rc.pk), note="dup")
    assert exc.value.status == 409
    other = answers.remit_835.replace(f"CLP*{em.patient_control_number}*", "CLP*ELSEWHERE*").replace(
        "EFT000000007", "EFT000000077")
    x12_import(actor=billing_actor, text=other, source_name="era2.835")
    stray = RemittanceClaim.objects.get(patient_control_number="ELSEWHERE")
    with pytest.raises(ApplicationError):
        unmatched_dismiss(actor=billing_actor, rc=stray, note=" ")
    unmatched_dismiss(actor=billing_actor, rc=stray, note="Another practice's claim")
    assert RemittanceClaim.objects.filter(claim__isnull=True, resolved_at__isnull=True).count() == 0
