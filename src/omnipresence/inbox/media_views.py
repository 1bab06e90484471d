"""Photos and videos of conversations, at /inbox/media/<token><ext>: a capability URL (the token
is 144 random bits), so the client's phone, the widget and the providers can fetch it without a
login. Served with its checked type only, never sniffed, never as a page."""

from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from omnipresence.inbox.attachments import attachment_by_token


@require_GET
def attachment_file(request, name: str):
    token, dot, extension = name.rpartition(".")
    attachment = attachment_by_token(token) if dot and len(token) <= 32 else None
    if attachment is None or attachment.extension != f".{extension}" or not attachment.file:
        raise Http404()
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):  # erased, or the file was removed from storage
        raise Http404()
    response = FileResponse(handle, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
