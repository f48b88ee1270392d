"""Docs stay true: the permission table in docs/permissions.md matches the matrix in code."""

import re
from pathlib import Path

from plexus.core.models import Role
from plexus.core.permissions import MATRIX

DOC = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"


def test_permission_doc_matches_matrix():
    text = DOC.read_text()
    table = text.split("<!-- matrix:start -->")[1].split("<!-- matrix:end -->")[0]
    rows = table.strip().splitlines()[2:]
    documented = {}
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        perm = re.sub(r"`", "", cells[0])
        documented[perm] = {role for role, cell in zip(Role.values, cells[1:], strict=True) if cell == "yes"}
    assert documented == {p.value: set(roles) for p, roles in MATRIX.items()}
