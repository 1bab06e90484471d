"""The web chat's pages: the widget itself at /chat/<key>/ (server-rendered, framed by any site:
the one view exempt from X-Frame-Options) and /chat/<key>/embed.js, the script a site adds with
one tag (a launcher button and an iframe of the widget). Unknown or switched-off keys are 404."""

import json

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from omnipresence.core.errors import DomainError
from omnipresence.core.templatetags.omni import accent_palette
from omnipresence.inbox import webchat
from omnipresence.inbox.services import MAX_BODY

# As django.utils.html.json_script does: the JSON cannot close a tag or start a comment.
JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def _inbox(key: str):
    try:
        return webchat.webchat_inbox(key=key)
    except DomainError:
        raise Http404(_("There is no such chat."))


@xframe_options_exempt
@require_safe
def widget_page(request, key: str):
    inbox = _inbox(key)
    boutique = inbox.boutique
    config = {
        "socket": f"/ws/chat/{key}/",
        "storage": f"omni-chat-{key}",
        "maxLength": MAX_BODY,
        "strings": {
            "you": _("You"), "sent": _("Sent"), "read": _("Read"), "sending": _("Sending…"),
            "failed": _("Not sent — tap Send to try again."), "typing": _("%(name)s is typing…"),
            "team": boutique.name, "connecting": _("Connecting…"),
            "offline": _("Offline: your messages will be sent when the connection is back."),
            "closed": _("This chat is closed."), "invalidContact": _("Enter an email address or a phone number."),
            "rateLimited": _("You are sending messages very fast: wait a few seconds."),
            "open": _("Open"), "pay": _("Pay"), "book": _("Choose a time"), "join": _("Join the video call"), "attachment": _("Attachment"),
            "identified": _("Thank you: if you leave before we answer, we can still reach you."),
        },
    }  # fmt: skip
    return render(request, "inbox/widget.html", {
        "inbox": inbox, "boutique": boutique, "accent_colour": boutique.brand_colour, "config": config,
    })  # fmt: skip


@require_safe
def embed_script(request, key: str):
    inbox = _inbox(key)
    boutique = inbox.boutique
    palette = accent_palette(boutique.brand_colour)
    config = {
        "path": reverse("webchat:widget", args=[key]),
        "label": _("Chat with %(boutique)s") % {"boutique": boutique.name},
        "title": _("Chat with %(boutique)s") % {"boutique": boutique.name},
        "unread": _("new message"), "accent": palette["accent"], "onAccent": palette["on_accent"],
    }  # fmt: skip
    script = render_to_string("inbox/embed.js", {"config": json.dumps(config).translate(JSON_ESCAPES)})
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response
