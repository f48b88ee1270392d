"""CSV import: all or nothing, every bad row reported with its row number and field."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from plexus.core.errors import ApplicationError
from plexus.patients.imports import import_patients_csv
from plexus.patients.models import Coverage, Patient

HEADER = ("legal_first_name,legal_last_name,date_of_birth,sex_for_claims,phone_mobile,email,has_hsa_fsa,"
          "primary_payer_id,primary_member_id,primary_effective_date,secondary_payer_id,secondary_member_id,"
          "secondary_effective_date,secondary_relationship,secondary_subscriber_last_name\n")
GOOD = HEADER + (
    "Ana,Reyes,1980-02-02,F,(503) 555-0120,ana@example.com,yes,EVG01,EVG-A1,2026-01-01,,,,,\n"
    "Ben,Cole,1975-07-07,M,,,no,,,,,,,,\n"
    "Cy,Dunn,2010-09-09,U,303-555-0130,,,SUMM2,SUM-C1,2026-01-01,PBC03,PBC-C2,2026-01-01,child,Dunn\n"
)
BAD = HEADER + (
    "Ana,Reyes,1980-02-02,F,12,ana@example.com,yes,EVG01,EVG-A1,2026-01-01,,,,,\n"   # row 1: phone
    "Ben,Cole,02/07/1975,M,,not-an-email,no,,,,,,,,\n"                               # row 2: date, email
    "Cy,Dunn,2010-09-09,U,,,,NOPE1,SUM-C1,2026-01-01,,,,,\n"                          # row 3: unknown payer
    "Di,Eve,1990-01-01,F,,,,EVG01,EVG-A1,2026-01-01,,,,,\n"                           # row 4: member ID again
    "Ed,Fox,1991-01-01,M,,,,EVG01,EVG-E1,2026-01-01,PBC03,PBC-E2,2026-01-01,self,\n"  # row 5: fine
)


def test_good_file_imports_patients_and_coverage(clinic, admin_actor):
    result = import_patients_csv(actor=admin_actor, text=GOOD)
    assert (result.patients, result.coverages) == (3, 3)
    cy = Patient.objects.get(legal_last_name="Dunn")
    assert [(c.priority, c.payer.payer_id, c.relationship) for c in cy.coverages.order_by("priority")] == [
        (1, "SUMM2", "18"), (2, "PBC03", "19")]
    assert Patient.objects.get(legal_last_name="Reyes").phone_mobile == "+15035550120"


def test_bad_file_reports_every_row_and_saves_nothing(clinic, admin_actor):
    before = (Patient.objects.count(), Coverage.objects.count())
    with pytest.raises(ApplicationError) as exc:
        import_patients_csv(actor=admin_actor, text=BAD)
    got = {(e.row, e.field) for e in exc.value.errors}
    assert {(1, "phone_mobile"), (2, "date_of_birth"), (2, "email"), (3, "primary_payer_id"),
            (4, "primary_member_id")} <= got
    assert not any(row == 5 for row, _ in got)
    assert "nothing was imported" in exc.value.detail
    assert (Patient.objects.count(), Coverage.objects.count()) == before


def test_member_id_already_in_database_is_reported(patient, admin_actor):
    text = HEADER + "Zed,Young,1970-01-01,M,,,,EVG01,EVG8842001,2026-01-01,,,,,\n"
    with pytest.raises(ApplicationError) as exc:
        import_patients_csv(actor=admin_actor, text=text)
    assert [(e.row, e.field) for e in exc.value.errors] == [(1, "primary_member_id")]


def test_header_problems(clinic, admin_actor):
    with pytest.raises(ApplicationError) as exc:
        import_patients_csv(actor=admin_actor, text="legal_first_name,shoe_size\nA,9\n")
    fields = {e.field for e in exc.value.errors}
    assert {"shoe_size", "legal_last_name", "date_of_birth", "sex_for_claims"} <= fields
    with pytest.raises(ApplicationError, match="empty"):
        import_patients_csv(actor=admin_actor, text="")


def test_command_imports_and_fails_cleanly(clinic, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    out = io.StringIO()
    call_command("import_patients", str(good), stdout=out)
    assert "Imported 3 patients and 3 coverages" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD)
    with pytest.raises(CommandError) as exc:
        call_command("import_patients", str(bad), stdout=io.StringIO())
    assert "row 1, phone_mobile" in str(exc.value)
    assert Patient.objects.filter(legal_last_name="Fox").count() == 0


def test_upload_screen_lists_errors(clinic, client_for):
    client = client_for("front_desk")
    resp = client.post("/patients/import/", {"file": SimpleUploadedFile("bad.csv", BAD.encode(), "text/csv")})
    assert resp.status_code == 422
    assert b"primary_payer_id" in resp.content and b"Unknown payer ID" in resp.content
    resp = client.post("/patients/import/", {"file": SimpleUploadedFile("good.csv", GOOD.encode(), "text/csv")})
    assert resp.status_code == 200 and b"Imported 3 patients" in resp.content


def test_api_import_problem_document(clinic, client_for):
    resp = client_for("admin").post("/api/patients/import",
                                    {"file": SimpleUploadedFile("bad.csv", BAD.encode(), "text/csv")})
    assert resp.status_code == 422
    errors = resp.json()["errors"]
    assert {"row": 3, "field": "primary_payer_id", "message": "Unknown payer ID 'NOPE1'."} in errors


def test_import_is_audited(clinic, admin_actor):
    from plexus.core.models import AuditEvent

    import_patients_csv(actor=admin_actor, text=GOOD)
    assert AuditEvent.objects.filter(action="create", object_type="patient").count() == 3
    assert AuditEvent.objects.filter(action="import").count() == 1


