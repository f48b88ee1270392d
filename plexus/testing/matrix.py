"""Helpers for the per-app permission-matrix tests: send a route's request, list the API's routes."""

from __future__ import annotations

import json


def send(client, method: str, url: str, body: dict | None, *, api: bool):
    """Call url with no body, a JSON body (API) or form data (staff views)."""
    if body is None:
        return getattr(client, method)(url)
    if api:
        return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")
    return client.post(url, body)


def api_routes_tagged(tags: set[str]) -> set[tuple[str, str]]:
    """(METHOD, path) of every API operation carrying one of tags, from the OpenAPI schema."""
    from config.api import api

    return {(method.upper(), path.rstrip("/")) for path, ops in api.get_openapi_schema()["paths"].items()
            for method, op in ops.items() if set(op.get("tags", [])) & tags}
