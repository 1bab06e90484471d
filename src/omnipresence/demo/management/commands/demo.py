"""`omnipresence demo`: create the SQLite database, seed the demo hub, print logins, serve."""

import socket

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from omnipresence.demo.seed import DEMO_PASSWORD, SPECS, seed_demo
from omnipresence.payments.demo import demo_pay_link
from omnipresence.payments.pay_links import pay_link_path
from omnipresence.stores.models import ApiToken, Boutique, StaffMember
from omnipresence.stores.services import api_token_create


class Command(BaseCommand):
    help = "Seed a demo hub (three boutiques) and serve it on http://127.0.0.1:8000/."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--scale", type=int, default=1, help="Seed N× the catalog (for benchmarks)")
        parser.add_argument("--no-serve", action="store_true", help="Seed and print, then exit")

    def handle(self, *args, host, port, scale, no_serve, **options):
        if not 1 <= scale <= 100:
            raise CommandError("--scale must be between 1 and 100.")
        if not 1 <= port <= 65535:
            raise CommandError("--port must be between 1 and 65535.")
        if not no_serve:
            self._check_port(host, port)
        self.stdout.write(f"Data folder: {settings.DATA_DIR}")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Seeding the demo hub…")
        seed_demo(scale=scale, log=self.stdout.write)
        self._print_access(host, port)
        if no_serve:
            return
        from omnipresence.demo.server import serve

        self.stdout.write(self.style.SUCCESS(f"Serving on http://{host}:{port}/ — Ctrl+C to stop."))
        serve(host=host, port=port, workers=1)

    def _check_port(self, host: str, port: int) -> None:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as error:
                raise CommandError(f"Cannot listen on {host}:{port} ({error.strerror}); try --port {port + 1}.")

    def _print_access(self, host: str, port: int) -> None:
        base = f"http://{host}:{port}"
        w = self.stdout.write
        w("")
        w(self.style.SUCCESS("Omnipresence demo"))
        w(f"  Storefront (hub):   {base}/")
        w(f"  Associate console:  {base}/console/")
        w(f"  Back office:        {base}/admin/   (hub operator: admin / {DEMO_PASSWORD})")
        w(f"  API + OpenAPI:      {base}/api/v1/docs  ·  {base}/api/v1/openapi.json")
        w("")
        w(f"Staff logins (password for all: {DEMO_PASSWORD}):")
        for spec in SPECS:
            boutique = Boutique.objects.filter(slug=spec.slug).first()
            if boutique is None:
                continue
            w(f"  {boutique.name} ({boutique.city}, {boutique.currency}) — {base}/{boutique.slug}/")
            for member in StaffMember.objects.filter(boutique=boutique).select_related("user", "home_location"):
                where = f" at {member.home_location.name}" if member.home_location else ""
                w(f"    {member.user.username:<10} {member.role}{where}")
        boutique = Boutique.objects.filter(slug=SPECS[0].slug).first()
        if boutique is not None:
            # A fresh demo token each start: keys are stored hashed and cannot be shown again.
            ApiToken.objects.filter(boutique=boutique, name="demo").delete()
            _, key = api_token_create(boutique=boutique, name="demo")
            w("")
            w(f"API token for {boutique.name}: {key}")
            w(f"  curl -H 'Authorization: Bearer {key}' {base}/api/v1/boutiques/{boutique.slug}/holds")
            w("Coupon valid in every channel of every demo boutique: WELCOME10 (10% off, once per client)")
        for spec in SPECS:
            boutique = Boutique.objects.filter(slug=spec.slug).first()
            link = demo_pay_link(boutique) if boutique else None
            if link is not None:
                w(f"Pay link sent to {link.order.client_name} by {boutique.name}: {base}{pay_link_path(link)}")
        w("  (sandbox test card: 4242 4242 4242 4242; emails are written to the data folder's mail/)")
        w("")
