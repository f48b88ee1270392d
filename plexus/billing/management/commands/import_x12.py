"""python manage.py import_x12 FILE... [--inbox]: import clearinghouse X12 files by their type.

271 eligibility answers, 999 and 277CA acknowledgements, and 835 remittances (posted to the ledger).
Each file is all or nothing; an error names the file, segment and element position.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from plexus.billing.clearinghouse import file_exchange
from plexus.billing.services import x12_import
from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Import X12 files (271, 999, 277CA, 835) by their type. Each file is imported all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="X12 files to import.")
        parser.add_argument("--inbox", action="store_true",
                            help="Also import every file in DATA_DIR/clearinghouse/inbox (moved to processed/ "
                                 "or failed/ afterwards).")

    def handle(self, *args, files: list[str], inbox: bool, **options):
        paths = [(Path(f), False) for f in files]
        exchange = file_exchange()
        if inbox:
            paths += [(p, True) for p in exchange.inbox_files()]
        if not paths:
            raise CommandError("Give one or more files, or --inbox.")
        failures, lines = [], []
        for path, from_inbox in paths:
            try:
                text = path.read_text(encoding="ascii")
                result = x12_import(actor=Actor.system("cli"), text=text, source_name=f"file:{path.name}")
            except (OSError, UnicodeDecodeError) as exc:
                failures.append(f"{path}: cannot read ({exc})")
                self._move(path, "failed", from_inbox)
                continue
            except ApplicationError as exc:
                failures.append(f"{path}: {exc.detail}")
                self._move(path, "failed", from_inbox)
                continue
            self._move(path, "processed", from_inbox)
            lines.append(f"{path.name}: {result.summary()}")
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(f"Imported {len(lines)} of {len(paths)} files.")
        if failures:
            raise CommandError("Nothing was imported from these files:\n" + "\n".join(failures))

    def _move(self, path: Path, folder: str, from_inbox: bool) -> None:
        if from_inbox:
            target = path.parent.parent / folder
            target.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), target / path.name)
