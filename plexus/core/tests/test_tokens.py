import hashlib
import json

from plexus.core.models import ApiToken


def test_token_lifecycle_over_http(patient, client_for, users, client):
    admin = client_for("admin")
    created = admin.post("/api/tokens", data=json.dumps({"name": "lab feed", "user_id": users["billing"].pk}),
                         content_type="application/json")
    assert created.status_code == 201
    secret = created.json()["secret"]
    token = ApiToken.objects.get(pk=created.json()["id"])
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps(list(ApiToken.objects.values()), default=str)

    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    me = client.get("/api/me", **auth)
    assert me.status_code == 200 and me.json()["role"] == "billing"
    assert client.get(f"/api/patients/{patient.pk}", **auth).status_code == 200
    assert client.get("/api/audit", **auth).status_code == 403  # acts with its user's role only

    assert admin.delete(f"/api/tokens/{token.pk}").status_code == 200
    assert client.get("/api/me", **auth).status_code == 401
    assert client.get("/api/me", HTTP_AUTHORIZATION="Bearer plx_not-a-token").status_code == 401


def test_token_screen_creates_and_revokes(db, client_for, users):
    admin = client_for("admin")
    resp = admin.post("/tokens/", {"name": "billing export", "user": users["billing"].pk})
    assert resp.status_code == 200 and b"shown once" in resp.content
    token = ApiToken.objects.get(name="billing export")
    admin.post(f"/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_session_api_writes_need_csrf(db, users):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    resp = client.post("/api/payers", data=json.dumps({"name": "X", "payer_id": "X1", "payer_type": "commercial"}),
                       content_type="application/json")
    assert resp.status_code in (401, 403)
