"""A completed questionnaire response as PDF (WeasyPrint), like plexus/billing/documents.py."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from plexus.core.errors import ApplicationError, ErrorCode
from plexus.core.models import Practice
from plexus.records.models import QuestionnaireResponse, ResponseStatus
from plexus.records.presenting import answer_pages
from plexus.records.selectors import form_of


def to_pdf(html: str) -> bytes:
    """Render HTML to PDF. Imported lazily: WeasyPrint loads Pango, which only PDF requests need."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def response_html(r: QuestionnaireResponse) -> str:
    form = form_of(r.questionnaire)
    return render_to_string("records/pdf/response.html", {
        "r": r, "form": form, "patient": r.patient, "practice": Practice.objects.first(),
        "pages": answer_pages(form, r.answers), "scores": r.scores, "printed_at": timezone.now(),
    })


def response_pdf(r: QuestionnaireResponse) -> bytes:
    """The PDF of a completed response; an in-progress one is refused (409)."""
    if r.status != ResponseStatus.COMPLETED:
        raise ApplicationError(ErrorCode.CONFLICT, "Only a completed form can be printed; this one is in progress.")
    return to_pdf(response_html(r))


def filename(r: QuestionnaireResponse) -> str:
    return f"{r.questionnaire.slug}-{r.patient.chart_number}-{r.pk}.pdf"
