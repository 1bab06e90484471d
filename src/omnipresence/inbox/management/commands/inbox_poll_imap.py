"""`omnipresence inbox_poll_imap --inbox <id>`: fetch an email inbox's unseen messages over IMAP
(config imap_host, imap_user, imap_password; docs/inbox.md, "Channels"). Run it from cron."""

from django.core.management.base import BaseCommand, CommandError

from omnipresence.core.errors import DomainError
from omnipresence.inbox.errors import ProviderFailed
from omnipresence.inbox.models import Inbox
from omnipresence.inbox.providers.email_in import imap_poll


class Command(BaseCommand):
    help = "Fetch an email inbox's unseen IMAP messages into its conversations."

    def add_arguments(self, parser):
        parser.add_argument("--inbox", type=int, required=True, help="The email inbox's id")
        parser.add_argument("--limit", type=int, default=200, help="At most this many messages per run")

    def handle(self, *args, inbox: int, limit: int, **options):
        mailbox = Inbox.objects.select_related("boutique").filter(pk=inbox, kind=Inbox.Kind.EMAIL).first()
        if mailbox is None:
            raise CommandError(f"There is no email inbox {inbox}.")
        try:
            counts = imap_poll(inbox=mailbox, limit=max(1, limit))
        except (ProviderFailed, DomainError) as error:
            raise CommandError(str(error))
        self.stdout.write(f"inbox {inbox}: {counts['stored']} stored, {counts['duplicate']} already there, "
                          f"{counts['refused']} refused")
