"""PostgreSQL: 12 threads complete (or save) the same response at once. Exactly one completion wins;
every other call gets a clean 409 and the response holds the winner's answers and score."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError
from plexus.records import services
from plexus.records.models import QuestionnaireResponse

from .conftest import phq

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across threads need PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_one_completion_wins(audit_maintenance, forms, patient, users):
    actor = Actor(user=users["front_desk"], via="api")
    r = services.response_start(actor=actor, patient=patient, questionnaire=forms["phq-9"])
    services.response_save_page(actor=actor, response=r, page="page-phq-9", answers=phq([1] * 9))
    outcomes: list[object] = []
    barrier = threading.Barrier(12)

    def worker(i: int) -> None:
        kind = "complete" if i % 2 else "save"
        try:
            barrier.wait(timeout=30)
            if kind == "complete":
                services.response_complete(actor=actor, response=r)
            else:
                services.response_save_page(actor=actor, response=r, page="page-phq-9", answers=phq([1] * 9))
            outcomes.append((kind, "ok"))
        except ApplicationError as exc:
            outcomes.append((kind, exc.status))
        except Exception as exc:
            outcomes.append((kind, repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == 12 and {o for _, o in outcomes} <= {"ok", 409}, outcomes
    assert outcomes.count(("complete", "ok")) == 1 and outcomes.count(("complete", 409)) == 5
    final = QuestionnaireResponse.objects.get(pk=r.pk)
    assert final.status == "completed" and final.scores["total"] == 9 and final.answers == phq([1] * 9)
