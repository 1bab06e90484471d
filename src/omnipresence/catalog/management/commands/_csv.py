"""What the CSV import and export commands share: arguments, reading the file, exit codes.

Exit codes of an import: 0 every row imported, 1 some rows failed (listed as "line N: reason"),
2 nothing imported (file rejected, missing file, unknown boutique).
"""

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from omnipresence.catalog.csv_io import ImportResult, Progress, check_size, csv_lines
from omnipresence.core.errors import DomainError
from omnipresence.stores.access import Actor, boutique_by_slug, system_actor

REJECTED = 2
SOME_ROWS_FAILED = 1


def command_actor(slug: str) -> Actor:
    try:
        return system_actor(boutique_by_slug(slug))
    except DomainError as err:
        raise CommandError(err.message, returncode=REJECTED)


class CsvImportCommand(BaseCommand):
    what = "rows"  # "products" or "stock", for messages

    def add_arguments(self, parser):
        parser.add_argument("--boutique", required=True, metavar="SLUG", help="The boutique to import into")
        parser.add_argument("file", metavar="FILE", help="The CSV file (UTF-8); '-' reads standard input")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and report, save nothing")

    def run_import(
        self, *, actor: Actor, content: bytes, dry_run: bool, progress: Progress, source: str
    ) -> ImportResult:
        raise NotImplementedError

    def handle(self, *args, boutique: str, file: str, dry_run: bool, **options):
        actor = command_actor(boutique)
        content = self._read(file)
        bar = tqdm(total=None, unit="row", desc=f"Importing {self.what}", file=getattr(self.stderr, "_out", sys.stderr),
                   disable=None, leave=False)  # fmt: skip

        def progress(done: int, total: int) -> None:
            if bar.total != total:
                bar.total = total
            bar.n = done
            bar.refresh()

        try:
            result = self.run_import(
                actor=actor, content=content, dry_run=dry_run, progress=progress, source=file
            )
        except DomainError as err:
            raise CommandError(f"{file}: {err.message}", returncode=REJECTED)
        finally:
            bar.close()
        for error in sorted(result.errors, key=lambda e: e.line):
            self.stderr.write(f"line {error.line}: {error.message}")
        prefix = "Dry run, nothing saved" if dry_run else f"Imported {self.what}"
        self.stdout.write(
            f"{prefix}: {result.rows_total} rows — {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.failed} not imported."
        )
        if result.failed:
            raise CommandError(
                f"{result.failed} of {result.rows_total} rows were not imported (see the lines above).",
                returncode=SOME_ROWS_FAILED,
            )

    def _read(self, file: str) -> bytes:
        limit = settings.IMPORT_MAX_BYTES
        try:
            if file == "-":
                content = sys.stdin.buffer.read(limit + 1)
            else:
                path = Path(file)
                check_size(path.stat().st_size)
                with path.open("rb") as handle:
                    content = handle.read(limit + 1)
            check_size(len(content))
        except FileNotFoundError:
            raise CommandError(f"No such file: {file}", returncode=REJECTED)
        except IsADirectoryError:
            raise CommandError(f"{file} is a directory, not a CSV file.", returncode=REJECTED)
        except OSError as err:
            raise CommandError(f"Cannot read {file}: {err.strerror or err}", returncode=REJECTED)
        except DomainError as err:
            raise CommandError(f"{file}: {err.message}", returncode=REJECTED)
        return content


class CsvExportCommand(BaseCommand):
    what = "rows"

    def add_arguments(self, parser):
        parser.add_argument("--boutique", required=True, metavar="SLUG", help="The boutique to export")
        parser.add_argument(
            "file",
            metavar="FILE",
            nargs="?",
            default="-",
            help="Where to write; '-' (default) is standard output",
        )

    def export_rows(self, *, actor: Actor) -> Iterator[list[Any]]:
        raise NotImplementedError

    def handle(self, *args, boutique: str, file: str, **options):
        actor = command_actor(boutique)
        lines = csv_lines(self.export_rows(actor=actor))
        if file == "-":
            self._write(lines, lambda line: self.stdout.write(line, ending=""))
            return
        try:
            with Path(file).open("w", encoding="utf-8", newline="") as handle:
                rows = self._write(lines, handle.write)
        except OSError as err:
            raise CommandError(f"Cannot write {file}: {err.strerror or err}", returncode=REJECTED)
        self.stderr.write(f"Wrote {rows} {self.what} rows to {file}.")

    @staticmethod
    def _write(lines: Iterator[str], write: Callable[[str], Any]) -> int:
        count = -1  # the header is not a row
        for line in lines:
            write(line)
            count += 1
        return count
