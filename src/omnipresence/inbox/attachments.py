"""Photos and short videos in conversations ("send a few snaps" from the associate's phone).

A file is checked by what it is, not by what it says it is: images are opened with Pillow, then
saved again without their metadata (a phone photo carries the shop's GPS position and the
camera's serial in EXIF); videos must start like an MP4/QuickTime or a WebM file. Limits: images
10 MB and 40 megapixels, videos 25 MB. A file is stored under a random name and served at
`/inbox/media/<token><ext>` (a capability URL: the providers fetch it from there too).
"""

import io
import secrets

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from omnipresence.core.errors import InvalidInput, PayloadTooLarge
from omnipresence.inbox.models import Attachment, Conversation
from omnipresence.stores.access import Actor

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_VIDEO_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2560  # larger photos are scaled down: nobody reads a 12 MP snap in a chat
MAX_PER_MESSAGE = 10
IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp"),
                 "GIF": ("image/gif", ".gif")}  # fmt: skip


class AttachmentRefused(InvalidInput):
    code = "invalid_attachment"
    default_message = "Send a photo (JPEG, PNG, WebP, GIF) or a short video (MP4, MOV, WebM)."


class AttachmentTooLarge(PayloadTooLarge):
    code = "attachment_too_large"
    default_message = "That file is too large."


def _video_kind(head: bytes) -> tuple[str, str] | None:
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime", ".mov"
        return "video/mp4", ".mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm", ".webm"
    return None


def _clean_image(data: bytes) -> tuple[bytes, str, str, int, int]:
    """(bytes without metadata, content type, extension, width, height) or AttachmentRefused."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        fmt = image.format
        if fmt not in IMAGE_FORMATS:
            raise AttachmentRefused()
        if image.width * image.height > MAX_PIXELS:
            raise AttachmentTooLarge(_("That photo has too many pixels (at most 40 megapixels)."))
        if fmt == "GIF":  # an animation keeps its frames; GIFs carry no EXIF
            return data, *IMAGE_FORMATS[fmt], image.width, image.height
        image = ImageOps.exif_transpose(image)  # keep the photo upright once its EXIF is gone
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        out = io.BytesIO()
        if fmt == "JPEG":
            image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
        else:
            image.save(out, fmt)
        return out.getvalue(), *IMAGE_FORMATS[fmt], image.width, image.height
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as error:
        if isinstance(error, Image.DecompressionBombError):
            raise AttachmentTooLarge(_("That photo has too many pixels (at most 40 megapixels)."))
        raise AttachmentRefused()


def attachment_upload(*, actor: Actor | None, conversation: Conversation, upload) -> Attachment:
    """Store one photo or video for a message still to be sent in `conversation` (staff, or the
    client's widget with actor None). `upload` is a Django UploadedFile."""
    if actor is not None:
        actor.require("clients.edit")
    if upload is None:
        raise AttachmentRefused(_("Choose a photo or a video to send."))
    size = upload.size or 0
    if size > MAX_VIDEO_BYTES:
        raise AttachmentTooLarge(_("That file is larger than 25 MB."))
    return attachment_store(conversation=conversation, data=upload.read(), uploaded_by=actor.user if actor else None)


def attachment_store(*, conversation: Conversation, data: bytes, uploaded_by=None, message=None) -> Attachment:
    """Check and store one photo or video given as bytes (an upload, or a file fetched from a
    provider for an inbound `message`): the type read from the bytes, photos stripped of metadata."""
    if len(data) > MAX_VIDEO_BYTES:
        raise AttachmentTooLarge(_("That file is larger than 25 MB."))
    video = _video_kind(data[:16])
    if video is not None:
        content_type, extension = video
        width = height = None
    else:
        if len(data) > MAX_IMAGE_BYTES:
            raise AttachmentTooLarge(_("That photo is larger than 10 MB."))
        data, content_type, extension, width, height = _clean_image(data)
    if not data:
        raise AttachmentRefused(_("That file is empty."))
    token = secrets.token_urlsafe(18)
    attachment = Attachment(
        boutique_id=conversation.boutique_id, conversation=conversation, token=token, extension=extension,
        content_type=content_type, size=len(data), width=width, height=height, uploaded_by=uploaded_by,
        message=message,
    )  # fmt: skip
    attachment.file.save(f"{token}{extension}", ContentFile(data), save=False)
    attachment.save()
    return attachment


def attachments_claim(*, conversation: Conversation, ids: list) -> list[Attachment]:
    """The uploads of this conversation named by `ids`, not yet sent with another message; any
    other id is refused (another conversation's or boutique's file is never attached)."""
    if not isinstance(ids, list) or len(ids) > MAX_PER_MESSAGE or not all(isinstance(i, int) for i in ids):
        raise AttachmentRefused(_("Attach up to 10 files by their ids."))
    found = list(Attachment.objects.filter(conversation=conversation, message__isnull=True, pk__in=ids))
    if len(found) != len(set(ids)):
        raise AttachmentRefused(_("One of the files is not an upload of this conversation (or was already sent)."))
    return sorted(found, key=lambda a: ids.index(a.pk))


def attachment_by_token(token: str) -> Attachment | None:
    return Attachment.objects.filter(token=token).first()
