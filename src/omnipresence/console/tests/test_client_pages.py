"""The associate's client pages through HTTP: the book (search, filters, pages), a profile
(identities, consent, stats, the audit row), edits, notes, consent changes, the timeline in pages,
and another boutique's associate kept out."""

import re
from datetime import timedelta

import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from omnipresence.clients import services as clients
from omnipresence.clients.models import Client, ProfileView, TimelineEvent
from omnipresence.orders import services as orders
from omnipresence.orders.tests.conftest import cart_with
from omnipresence.payments import services as payments


@pytest.fixture
def alice_browser(associate_a):
    browser = Browser()
    browser.force_login(associate_a)
    return browser


def book_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("console:clients", args=["atelier-a"]) + (f"?{query}" if query else "")


def profile_url(client: Client, suffix: str = "") -> str:
    return reverse("console:client_profile", args=["atelier-a", client.pk]) + suffix


def names(response) -> list[str]:
    return re.findall(r'class="client-name" href="[^"]+">([^<]+)</a>', response.content.decode())


@pytest.fixture
def book(world_a, associate_a, associate_actor):
    """Five clients: Vane (an order, paid), Old Lapsing (bought 200 days ago), Bea Birthday (in 10
    days), Vera VIP (spent £6,000), and Mia Mine (alice's, never bought)."""
    boutique = world_a["boutique"]
    order = orders.cart_checkout(actor=associate_actor, cart=cart_with(
        associate_actor, world_a, (0, 1, "pickup", "soho"), client_name="Ms Vane", client_email="vane@example.com",
    ))  # fmt: skip
    payments.payment_record(actor=associate_actor, order=order, method="terminal")
    vane = Client.objects.get(pk=order.client_id)
    lapsing = clients.client_resolve(boutique=boutique, email="old@example.com", name="Old Lapsing")
    clients.client_stats_add(
        client_id=lapsing.pk, amount=10000, occurred_at=timezone.now() - timedelta(days=200)
    )
    bea = clients.client_resolve(
        boutique=boutique, email="bea@example.com", phone="07911 123456", name="Bea Birthday"
    )
    soon = (timezone.now() + timedelta(days=10)).date()
    clients.client_update(
        actor=associate_actor,
        client=bea,
        important_dates=[{"label": "birthday", "date": f"1990-{soon:%m-%d}"}],
    )
    vera = clients.client_resolve(boutique=boutique, email="vera@example.com", name="Vera VIP")
    clients.client_stats_add(client_id=vera.pk, amount=600000, occurred_at=timezone.now() - timedelta(days=5))
    mia = clients.client_resolve(boutique=boutique, email="mia@example.com", name="Mia Mine")
    clients.client_update(actor=associate_actor, client=mia, primary_associate=associate_a)
    return {"vane": vane, "order": order, "lapsing": lapsing, "bea": bea, "vera": vera, "mia": mia}


def test_the_book_lists_every_client_by_name_with_her_stats(alice_browser, book):
    response = alice_browser.get(book_url())
    assert response.status_code == 200
    assert names(response) == ["Bea Birthday", "Mia Mine", "Ms Vane", "Old Lapsing", "Vera VIP"]
    html = response.content.decode()
    card = html[html.index(f'id="client-{book["vane"].pk}"') :]
    card = card[: card.index("</li>")]
    assert "£450.00" in card and '<dd class="orders-count">1</dd>' in card
    assert "Never" not in card
    vera = html[html.index(f'id="client-{book["vera"].pk}"') :]
    assert "£6,000.00" in vera[: vera.index("</li>")] and "VIP" in vera[: vera.index("</li>")]
    mia = html[html.index(f'id="client-{book["mia"].pk}"') :]
    assert "alice" in mia[: mia.index("</li>")] and "Never" in mia[: mia.index("</li>")]
    assert 'aria-current="page">Clients</a>' in html  # the nav link


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "vane"}, ["Ms Vane"]),
        ({"q": "bea%40example.com"}, ["Bea Birthday"]),
        ({"q": "07911123456"}, ["Bea Birthday"]),
        ({"q": "VERA"}, ["Vera VIP"]),
        ({"show": "mine"}, ["Mia Mine"]),
        ({"show": "lapsing"}, ["Old Lapsing"]),
        ({"show": "birthday"}, ["Bea Birthday"]),
        ({"show": "vip"}, ["Vera VIP"]),
        ({"show": "vip", "q": "vane"}, []),
        ({"show": "nonsense"}, ["Bea Birthday", "Mia Mine", "Ms Vane", "Old Lapsing", "Vera VIP"]),
    ],
)
def test_the_book_searches_and_filters(alice_browser, book, params, expected):
    response = alice_browser.get(book_url(**params))
    assert response.status_code == 200
    assert names(response) == expected


def test_the_book_pages_twenty_at_a_time(alice_browser, world_a):
    for n in range(23):
        clients.client_resolve(
            boutique=world_a["boutique"], email=f"c{n:02}@example.com", name=f"Client {n:02}"
        )
    first = alice_browser.get(book_url())
    second = alice_browser.get(book_url(page=2))
    assert names(first) == [f"Client {n:02}" for n in range(20)]
    assert names(second) == ["Client 20", "Client 21", "Client 22"]
    assert "Page 1 of 2" in first.content.decode()


def test_the_profile_shows_identities_consent_and_stats_and_is_audited(alice_browser, associate_a, book):
    bea = book["bea"]
    clients.consent_record(actor_label="web", client=bea, purpose="marketing_email", granted=True, channel="web",
                           wording="Email me news.")  # fmt: skip
    assert ProfileView.objects.count() == 0
    response = alice_browser.get(profile_url(bea))
    assert response.status_code == 200
    html = response.content.decode()
    assert "bea@example.com" in html and "+447911123456" in html
    consent = html[html.index('id="consent-state"') : html.index("</ul>", html.index('id="consent-state"'))]
    assert re.search(
        r'id="consent-marketing_email"><span>Marketing by email</span><span[^>]*>Granted', consent
    )
    assert re.search(
        r'id="consent-marketing_sms"><span>Marketing by SMS</span><span[^>]*>Not granted', consent
    )
    assert '<dd id="client-spend">£0.00</dd>' in html and '<dd id="client-orders">0</dd>' in html
    assert list(ProfileView.objects.values_list("client_id", "staff_user_id")) == [(bea.pk, associate_a.pk)]

    vane = alice_browser.get(profile_url(book["vane"])).content.decode()
    assert '<dd id="client-spend">£450.00</dd>' in vane and '<dd id="client-orders">1</dd>' in vane
    order_url = reverse("console:sell_order", args=["atelier-a", book["order"].pk])
    assert f'href="{order_url}"' in vane  # the order on her timeline links to the order page


def test_a_profile_edit_round_trips(alice_browser, book):
    mia = book["mia"]
    response = alice_browser.post(profile_url(mia, "edit/"), {
        "display_name": "Mia Mine", "sizes": "Shoes: 38\n\ndress : 10 UK", "colours": "navy, Camel ,navy",
        "brands": "Maison Bleue", "styles": "tailored", "tags": "vip-event, knitwear", "fit_notes": "Long sleeves",
        "important_dates": "birthday: 1984-03-07\nanniversary: --06-01", "preferred_channel": "whatsapp",
        "preferred_language": "fr-FR", "notes": "Prefers morning fittings.",
    })  # fmt: skip
    assert response.status_code == 302 and response["Location"] == profile_url(mia)
    mia.refresh_from_db()
    assert (mia.sizes, mia.colours, mia.brands, mia.styles, mia.tags) == (
        {"shoes": "38", "dress": "10 UK"}, ["navy", "Camel"], ["Maison Bleue"], ["tailored"], ["vip-event", "knitwear"],
    )  # fmt: skip
    assert mia.important_dates == [
        {"label": "birthday", "date": "1984-03-07"},
        {"label": "anniversary", "date": "--06-01"},
    ]
    assert (mia.birthday_mmdd, mia.preferred_channel, mia.preferred_language, mia.fit_notes, mia.notes) == (
        "03-07", "whatsapp", "fr-FR", "Long sleeves", "Prefers morning fittings.",
    )  # fmt: skip
    html = alice_browser.get(profile_url(mia)).content.decode()
    assert "dress: 10 UK\nshoes: 38</textarea>" in html  # sorted: PostgreSQL keeps no key order
    assert 'value="navy, Camel"' in html and "birthday: 1984-03-07\nanniversary: --06-01</textarea>" in html
    assert "Profile saved." in html


@pytest.mark.parametrize(
    ("sizes", "dates", "message"),
    [
        ("shoes 38", "", "is not a “category: size” line"),
        ("shoes:", "", "sizes is required"),
        ("shoes: 38", "birthday: 1984-13-40", "is not a date"),
    ],
)
def test_a_bad_profile_edit_is_refused_and_nothing_changes(alice_browser, book, sizes, dates, message):
    mia = book["mia"]
    before = Client.objects.filter(pk=mia.pk).values().get()
    response = alice_browser.post(profile_url(mia, "edit/"), {
        "display_name": "Someone Else", "sizes": sizes, "important_dates": dates, "preferred_channel": "email",
        "colours": "red",
    })  # fmt: skip
    assert response.status_code == 422
    html = response.content.decode()
    assert 'role="alert"' in html and message in html
    assert 'value="Someone Else"' in html  # what she typed is kept
    assert Client.objects.filter(pk=mia.pk).values().get() == before


def test_a_note_lands_at_the_top_of_the_timeline(alice_browser, associate_a, book):
    bea = book["bea"]
    response = alice_browser.post(
        profile_url(bea, "notes/"), {"text": "Loved the blue coat; call on Friday."}
    )
    assert response.status_code == 302
    note = TimelineEvent.objects.get(client=bea, kind="note")
    assert (note.summary, note.associate_id) == ("Loved the blue coat; call on Friday.", associate_a.pk)
    html = alice_browser.get(profile_url(bea)).content.decode()
    events = re.findall(r'<li id="event-(\d+)"', html)
    assert events[0] == str(note.pk)
    assert "Loved the blue coat; call on Friday." in html
    empty = alice_browser.post(profile_url(bea, "notes/"), {"text": "   "})
    assert empty.status_code == 422 and 'role="alert"' in empty.content.decode()
    assert TimelineEvent.objects.filter(client=bea, kind="note").count() == 1


def test_a_consent_change_shows_in_the_state_and_on_the_timeline(alice_browser, book):
    bea = book["bea"]
    response = alice_browser.post(profile_url(bea, "consents/"), {
        "purpose": "walk_in", "granted": "yes", "wording": "May our team greet you by name when you visit?",
    })  # fmt: skip
    assert response.status_code == 302
    html = alice_browser.get(profile_url(bea)).content.decode()
    assert re.search(r'id="consent-walk_in"><span>[^<]+</span><span[^>]*>Granted', html)
    first_event = re.search(
        r'<li id="event-\d+" class="event-(\w+)">\s*<strong>[^<]+</strong>\s*<p class="summary">([^<]+)', html
    )
    assert first_event.groups() == ("consent", "Recognised when she walks in: granted (shop)")
    event = bea.consent_events.get()
    assert (event.channel, event.actor_label, event.wording) == (
        "shop",
        "alice",
        "May our team greet you by name when you visit?",
    )
    refused = alice_browser.post(
        profile_url(bea, "consents/"), {"purpose": "telepathy", "granted": "no", "wording": "x"}
    )
    assert refused.status_code == 422 and "Unknown consent purpose" in refused.content.decode()
    no_answer = alice_browser.post(profile_url(bea, "consents/"), {"purpose": "walk_in", "wording": "x"})
    assert no_answer.status_code == 422
    assert bea.consent_events.count() == 1


def test_the_timeline_pages_fifty_at_a_time_without_overlap_or_gap(alice_browser, world_a):
    client = clients.client_resolve(boutique=world_a["boutique"], email="long@example.com", name="Long Story")
    start = timezone.now() - timedelta(days=30)
    for n in range(119):  # with her "created" event: 120
        # Pairs share a moment: the id breaks the tie.
        clients.timeline_add(client_id=client.pk, kind="visit", occurred_at=start + timedelta(hours=n // 2),
                             summary=f"Visit {n}")  # fmt: skip
    expected = list(
        TimelineEvent.objects.filter(client=client)
        .order_by("-occurred_at", "-id")
        .values_list("pk", flat=True)
    )
    assert len(expected) == 120
    seen, url, pages = [], profile_url(client), 0
    while url:
        html = alice_browser.get(url).content.decode()
        pages += 1
        seen += [int(pk) for pk in re.findall(r'<li id="event-(\d+)"', html)]
        older = re.search(r'rel="next" href="(\?[^"#]+)', html)
        url = profile_url(client) + older.group(1).replace("&amp;", "&") if older else None
    assert pages == 3 and seen == expected


@pytest.mark.parametrize(
    "query",
    [
        "?before_at=yesterday&before_id=5",
        "?before_at=2026-01-01T10:00:00&before_id=5",  # no time zone
        "?before_at=2026-01-01T10:00:00%2B00:00&before_id=-3",
        "?before_at=2026-01-01T10:00:00%2B00:00&before_id=99999999999999999999",
        "?before_at=2026-01-01T10:00:00%2B00:00",
        "?before_id=7",
    ],
)
def test_a_bad_timeline_cursor_is_the_first_page(alice_browser, book, query):
    vane = book["vane"]
    first = re.findall(r'<li id="event-(\d+)"', alice_browser.get(profile_url(vane)).content.decode())
    response = alice_browser.get(profile_url(vane) + query)
    assert response.status_code == 200
    assert re.findall(r'<li id="event-(\d+)"', response.content.decode()) == first


def test_another_boutiques_associate_is_kept_out(associate_b, book):
    outsider = Browser()
    outsider.force_login(associate_b)
    bea = book["bea"]
    before = Client.objects.filter(pk=bea.pk).values().get()
    assert outsider.get(profile_url(bea)).status_code == 403
    assert outsider.get(book_url()).status_code == 403
    assert outsider.post(profile_url(bea, "notes/"), {"text": "hello"}).status_code == 403
    assert outsider.post(profile_url(bea, "edit/"), {"sizes": "shoes: 40"}).status_code == 403
    assert ProfileView.objects.count() == 0
    assert not TimelineEvent.objects.filter(client=bea, kind="note").exists()
    assert Client.objects.filter(pk=bea.pk).values().get() == before
    # And through her own boutique's URL, boutique A's client is not found.
    own = outsider.get(reverse("console:client_profile", args=["boutique-b", bea.pk]))
    assert own.status_code == 404 and ProfileView.objects.count() == 0
