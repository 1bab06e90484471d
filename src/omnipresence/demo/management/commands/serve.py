"""`omnipresence serve`: production-style ASGI server; settings from the environment, no seeding."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


class Command(BaseCommand):
    help = "Serve Omnipresence over ASGI (uvicorn). Configure with environment variables."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--migrate", action="store_true", help="Apply pending migrations first")
        parser.add_argument(
            "--no-sweeper", action="store_true", help="Do not expire holds in this process (a worker does it)"
        )

    def handle(self, *args, host, port, workers, migrate, no_sweeper, **options):
        if settings.SECRET_KEY.startswith("insecure-") and not settings.DEBUG:
            raise CommandError("Set SECRET_KEY (a long random string) before `omnipresence serve`.")
        if not 1 <= workers <= 64:
            raise CommandError("--workers must be between 1 and 64.")
        if workers > 1 and not settings.REDIS_URL:
            self.stderr.write(
                "Warning: several workers without REDIS_URL cannot share realtime events; set REDIS_URL."
            )
        if migrate:
            from django.core.management import call_command

            call_command("migrate", interactive=False, verbosity=1)
        pending = MigrationExecutor(connection).migration_plan(MigrationExecutor(connection).loader.graph.leaf_nodes())
        if pending:
            raise CommandError(f"{len(pending)} migrations are pending: run `omnipresence migrate` or pass --migrate.")
        from omnipresence.demo.server import serve

        self.stdout.write(f"Serving on http://{host}:{port}/ with {workers} worker(s).")
        serve(host=host, port=port, workers=workers, sweeper=not no_sweeper, log_level="info")
