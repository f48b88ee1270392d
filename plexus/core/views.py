"""Staff screens: home, practice setup, audit log search, API tokens, login with audit."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, time

from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from plexus.core import forms, selectors, services
from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError
from plexus.core.models import AuditAction, Discipline, Location, Payer, User
from plexus.core.permissions import Perm, user_has
from plexus.core.views_utils import apply_errors, staff_view, ui_actor


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        record(Actor.from_request(self.request), AuditAction.LOGIN, "session")
        return response

    def form_invalid(self, form):
        username = (form.data.get("username") or "")[:150]
        record(Actor(user=None, ip=self.request.META.get("REMOTE_ADDR"), via="ui"), AuditAction.LOGIN_FAILED,
               "session", detail=f"username={username}")
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            record(Actor.from_request(request), AuditAction.LOGOUT, "session")
        return super().post(request, *args, **kwargs)


@staff_view(Perm.PATIENT_VIEW)
def home(request):
    return render(request, "core/home.html", {"practice": selectors.practice()})


SETUP_TABS = ("practice", "locations", "rooms", "practitioners", "services", "payers", "users")


@staff_view(Perm.PRACTICE_VIEW)
def setup(request, tab: str = "practice"):
    if tab not in SETUP_TABS or (tab == "users" and not user_has(request.user, Perm.USERS_MANAGE)):
        tab = "practice"
    context = {"tab": tab, "tabs": SETUP_TABS, "practice": selectors.practice(),
               "can_manage": user_has(request.user, Perm.PRACTICE_MANAGE)}
    if tab == "locations":
        context["rows"] = Location.objects.all()
    elif tab == "rooms":
        context["rows"] = selectors.rooms()
    elif tab == "practitioners":
        context["rows"] = selectors.practitioners()
    elif tab == "services":
        context["rows"] = selectors.services()
    elif tab == "payers":
        context["rows"] = Payer.objects.all()
    elif tab == "users":
        context["rows"] = User.objects.all()
    template = "core/_setup_table.html" if request.htmx else "core/setup.html"
    return render(request, template, context)


def _setup_create(request, form_class, create, title: str, tab: str):
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            create(form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect(reverse("setup_tab", args=[tab]))
    return render(request, "core/setup_form.html", {"form": form, "title": title, "tab": tab},
                  status=422 if form.errors else 200)


@staff_view(Perm.PRACTICE_MANAGE)
def practice_edit(request):
    practice = selectors.practice()
    form = forms.PracticeForm(request.POST or None, instance=practice)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.Meta.fields}
        try:
            services.practice_save(actor=ui_actor(request), data=data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("setup")
    return render(request, "core/setup_form.html", {"form": form, "title": "Practice", "tab": "practice"},
                  status=422 if form.errors else 200)


@staff_view(Perm.PRACTICE_MANAGE)
def location_new(request):
    return _setup_create(
        request, forms.LocationForm, lambda d: services.location_create(actor=ui_actor(request), data=d),
        "New location", "locations",
    )


@staff_view(Perm.PRACTICE_MANAGE)
def room_new(request):
    return _setup_create(
        request, forms.RoomForm, lambda d: services.room_create(actor=ui_actor(request), data=d), "New room", "rooms"
    )


@staff_view(Perm.PRACTICE_MANAGE)
def payer_new(request):
    return _setup_create(
        request, forms.PayerForm, lambda d: services.payer_create(actor=ui_actor(request), data=d), "New payer", "payers"
    )


@staff_view(Perm.PRACTICE_MANAGE)
def practitioner_new(request):
    def create(d):
        d = dict(d)
        locations, payers = list(d.pop("locations")), list(d.pop("payers"))
        return services.practitioner_create(actor=ui_actor(request), data=d, locations=locations, payers=payers)

    return _setup_create(request, forms.PractitionerForm, create, "New practitioner", "practitioners")


@staff_view(Perm.PRACTICE_MANAGE)
def service_new(request):
    def create(d):
        d = dict(d)
        disciplines = list(d.pop("disciplines"))
        d["modifiers"] = [m.strip().upper() for m in d.pop("modifiers_text").split(",") if m.strip()]
        return services.service_create(actor=ui_actor(request), data=d, disciplines=disciplines)

    return _setup_create(request, forms.ServiceForm, create, "New service", "services")


@staff_view(Perm.USERS_MANAGE)
def user_new(request):
    return _setup_create(
        request, forms.UserForm, lambda d: services.user_create(actor=ui_actor(request), **d), "New staff user", "users"
    )


@staff_view(Perm.AUDIT_VIEW)
def audit(request):
    form = forms.AuditSearchForm(request.GET or None)
    events = selectors.audit_events()
    if form.is_valid():
        c = form.cleaned_data
        events = selectors.audit_events(
            patient_id=c["patient_id"], username=c["username"],
            start=datetime.combine(c["date_from"], time.min) if c["date_from"] else None,
            end=datetime.combine(c["date_to"], time.max) if c["date_to"] else None,
        )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    template = "core/_audit_rows.html" if request.htmx else "core/audit.html"
    return render(request, template, {"form": form, "page": page})


@staff_view(Perm.USERS_MANAGE)
def tokens(request):
    form = forms.TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _, secret = services.api_token_create(
                actor=ui_actor(request), user=form.cleaned_data["user"], name=form.cleaned_data["name"]
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            form = forms.TokenForm()
    return render(request, "core/tokens.html", {"form": form, "secret": secret, "tokens": selectors.api_tokens()})


@staff_view(Perm.USERS_MANAGE)
def token_revoke(request, token_id: int):
    if request.method == "POST":
        with contextlib.suppress(ApplicationError):  # an unknown token simply leaves the list as it is
            services.api_token_revoke(actor=ui_actor(request), token_id=token_id)
    return redirect("tokens")




def discipline_css(request):
    """Discipline colours as CSS classes (.px-d-<code>), so templates need no inline styles under CSP."""
    rules = [
        f".px-d-{d.code} {{ --px-colour: {d.colour}; background-color: {d.colour}; }}"
        for d in Discipline.objects.all()
        if re.fullmatch(r"#[0-9a-fA-F]{6}", d.colour) and re.fullmatch(r"[-a-z0-9_]+", d.code)
    ]
    response = HttpResponse("\n".join(rules) + "\n", content_type="text/css")
    response["Cache-Control"] = "max-age=300"
    return response
