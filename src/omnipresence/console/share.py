"""Links that open a message to a client in WhatsApp or in an email, ready to send."""

from urllib.parse import quote


def share_links(*, body: str, subject: str, email: str = "") -> dict[str, str]:
    return {
        "whatsapp": "https://wa.me/?text=" + quote(body, safe=""),
        "mailto": f"mailto:{quote(email, safe='@')}?subject={quote(subject, safe='')}&body={quote(body, safe='')}",
    }
