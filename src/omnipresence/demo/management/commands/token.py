"""`omnipresence token create|list|revoke`: API tokens for integrations."""

from django.core.management.base import BaseCommand, CommandError

from omnipresence.core.errors import DomainError
from omnipresence.stores.access import ALL_SCOPES, actor_for_user
from omnipresence.stores.models import ApiToken, Boutique
from omnipresence.stores.services import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke API tokens of a boutique."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print its key (shown once)")
        create.add_argument("--boutique", required=True, help="Boutique slug")
        create.add_argument("--user", required=True, help="Owner or manager creating it")
        create.add_argument("--name", default="integration")
        create.add_argument("--scopes", default=",".join(ALL_SCOPES), help=f"Comma-separated: {', '.join(ALL_SCOPES)}")
        create.add_argument("--days", type=int, default=None, help="Expire after N days")
        listing = sub.add_parser("list")
        listing.add_argument("--boutique", required=True)
        revoke = sub.add_parser("revoke")
        revoke.add_argument("--boutique", required=True)
        revoke.add_argument("token_id", type=int)

    def handle(self, *args, action, boutique, **options):
        shop = Boutique.objects.filter(slug=boutique).first()
        if shop is None:
            raise CommandError(f"No boutique '{boutique}'.")
        try:
            if action == "create":
                self._create(shop, **options)
            elif action == "list":
                for t in ApiToken.objects.filter(boutique=shop).order_by("-created_at"):
                    state = "revoked" if t.revoked_at else ("expires " + t.expires_at.isoformat() if t.expires_at else "active")
                    self.stdout.write(f"{t.pk:>5}  {t.name:<20} omni_{t.prefix}_…  {','.join(t.scopes)}  {state}")
            else:
                from omnipresence.stores.access import system_actor

                token = api_token_revoke(actor=system_actor(shop), token_id=options["token_id"])
                self.stdout.write(f"Revoked token {token.pk} ({token.name}).")
        except DomainError as error:
            raise CommandError(error.message)

    def _create(self, shop, *, user, name, scopes, days, **options):
        from django.contrib.auth import get_user_model

        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"No user '{user}'.")
        actor = actor_for_user(account, shop)
        if actor.role not in {"owner", "manager"}:
            raise CommandError(f"{user} is {actor.role} at {shop.name}; only owners and managers create tokens.")
        if days is not None and not 1 <= days <= 3650:
            raise CommandError("--days must be between 1 and 3650.")
        token, key = api_token_create(
            boutique=shop, name=name, scopes=[s.strip() for s in scopes.split(",") if s.strip()],
            created_by=account, valid_days=days,
        )  # fmt: skip
        self.stdout.write(key)
        self.stderr.write(f"Token {token.pk} '{token.name}' for {shop.name}, scopes {', '.join(token.scopes)}. "
                          "Keep the key: it is not stored and cannot be shown again.")  # fmt: skip
