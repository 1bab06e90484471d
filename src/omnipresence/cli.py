"""The `omnipresence` console command: Django's management commands under one name."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    if sys.version_info < (3, 12):  # noqa: UP036 - a clear message beats a SyntaxError deep in Django
        sys.exit(f"omnipresence needs Python 3.12 or newer (this is {sys.version_info[0]}.{sys.version_info[1]}).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnipresence.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["omnipresence", *args])


if __name__ == "__main__":
    main()
