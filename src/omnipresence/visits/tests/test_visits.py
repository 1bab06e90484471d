from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client as HttpClient
from django.utils import timezone

from omnipresence.accounts.models import ProductView, WishlistItem
from omnipresence.asgi import application
from omnipresence.clients.models import AccessAttempt, ConsentEvent, TimelineEvent
from omnipresence.conftest import make_staff
from omnipresence.visits import selectors, services
from omnipresence.visits.models import CheckInCode, Visit
from omnipresence.visits.tests.helpers import grant, make_client, portal_session


def staff_http(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def test_scan_flow_records_one_visit_and_timeline(world_a, associate_a):
    her = make_client(world_a)
    token = selectors.checkin_code_text(her)
    http = staff_http(associate_a)
    page = http.get(f"/console/atelier-a/visits/scan/{token}/")
    assert page.status_code == 200
    assert 'value="soho" selected' in page.content.decode()
    response = http.post(f"/console/atelier-a/visits/scan/{token}/", {"location": "chelsea"})
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.client_id, visit.location.code, visit.via, visit.checked_in_by_id) == (
        her.pk,
        "chelsea",
        "associate_scan",
        associate_a.pk,
    )
    event = TimelineEvent.objects.get(client=her, kind="visit")
    assert "Chelsea" in event.summary and event.associate_id == associate_a.pk


def test_rotated_token_stops_working(world_a, associate_a):
    her = make_client(world_a)
    old = selectors.checkin_code_text(her)
    services.checkin_code_rotate(client=her)
    assert staff_http(associate_a).get(f"/console/atelier-a/visits/scan/{old}/").status_code == 404
    assert CheckInCode.objects.get(client=her).rotated_at is not None


def test_qr_svg_is_accessible_and_absolute(world_a, settings):
    settings.SITE_URL = "https://shop.example"
    her = make_client(world_a)
    svg = selectors.checkin_qr_svg(her)
    assert svg.startswith("<svg ") and 'role="img"' in svg and 'aria-label="' in svg
    assert services.checkin_url(client=her).startswith("https://shop.example/console/atelier-a/visits/scan/")


def test_scan_without_consent_is_refused_and_logged(world_a, associate_a):
    her = make_client(world_a, walk_in=False)
    token = selectors.checkin_code_text(her)
    response = staff_http(associate_a).post(f"/console/atelier-a/visits/scan/{token}/", {"location": "soho"})
    assert response.status_code == 403
    assert not Visit.objects.exists()
    attempt = AccessAttempt.objects.get()
    assert (attempt.code, attempt.target, attempt.action) == (
        "consent_required",
        f"client:{her.pk}",
        "visit_check_in",
    )


def test_api_check_in_consent_dedupe_and_token(world_a, api_a):
    her = make_client(world_a, walk_in=False)
    url = "/api/v1/boutiques/atelier-a/check-ins"
    refused = api_a.post(url, {"client_id": her.pk, "location_code": "soho"}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "consent_required"
    assert AccessAttempt.objects.filter(code="consent_required", target=f"client:{her.pk}").count() == 1
    grant(her, "walk_in")
    first = api_a.post(url, {"client_id": her.pk, "location_code": "soho"}, content_type="application/json")
    assert first.status_code == 201 and first.json()["new"] is True
    token = selectors.checkin_code_text(her)
    again = api_a.post(url, {"token": token, "location_code": "soho"}, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other_shop = api_a.post(
        url, {"token": token, "location_code": "chelsea"}, content_type="application/json"
    )
    assert other_shop.status_code == 201
    both = api_a.post(url, {"token": token, "client_id": her.pk, "location_code": "soho"},
                      content_type="application/json")  # fmt: skip
    assert both.status_code == 422
    warehouse = api_a.post(
        url, {"token": token, "location_code": "warehouse"}, content_type="application/json"
    )
    assert warehouse.status_code == 422
    assert len(api_a.get("/api/v1/boutiques/atelier-a/visits").json()) == 2


def test_thirty_minute_dedupe(world_a):
    her = make_client(world_a)
    start = timezone.now() - timedelta(hours=2)
    first, new = services.visit_check_in(client=her, location=world_a["shop"], via="api", at=start)
    assert new
    same, new = services.visit_check_in(
        client=her, location=world_a["shop"], via="api", at=start + timedelta(minutes=25)
    )
    assert not new and same.pk == first.pk
    # 30 minutes after the *previous* check-in, not the first one
    still, new = services.visit_check_in(
        client=her, location=world_a["shop"], via="api", at=start + timedelta(minutes=50)
    )
    assert not new and still.pk == first.pk
    later, new = services.visit_check_in(
        client=her, location=world_a["shop"], via="api", at=start + timedelta(minutes=81)
    )
    assert new and later.pk != first.pk
    assert TimelineEvent.objects.filter(client=her, kind="visit").count() == 2


def test_self_check_in_asks_consent_and_records_it_only_when_ticked(world_a):
    her = make_client(world_a, walk_in=False)
    phone = portal_session("ada@example.com")
    page = phone.get("/atelier-a/visit/soho/")
    assert "Let Atelier A know you" in page.content.decode() and 'name="consent"' in page.content.decode()
    refused = phone.post("/atelier-a/visit/soho/", {})
    assert refused.status_code == 422
    assert (
        not ConsentEvent.objects.filter(client=her, purpose="walk_in").exists() and not Visit.objects.exists()
    )
    done = phone.post("/atelier-a/visit/soho/", {"consent": "yes"})
    assert done.status_code == 200 and 'id="checked-in"' in done.content.decode()
    consent = ConsentEvent.objects.get(client=her, purpose="walk_in")
    assert consent.granted and consent.channel == "shop" and "Atelier A" in consent.wording
    assert Visit.objects.get().via == "client_scan"


def test_self_check_in_logged_out_links_to_login(world_a):
    page = HttpClient().get("/atelier-a/visit/soho/")
    assert page.status_code == 200
    assert 'href="/atelier-a/account/?next=%2Fatelier-a%2Fvisit%2Fsoho%2F"' in page.content.decode()
    assert HttpClient().get("/atelier-a/visit/warehouse/").status_code == 404


def test_context_content_and_personalization_gating(world_a):
    her = make_client(world_a)
    her.sizes = {"coats": "M"}
    her.save(update_fields=["sizes"])
    product = world_a["product"]
    ProductView.objects.create(boutique=world_a["boutique"], client=her, product=product)
    WishlistItem.objects.create(boutique=world_a["boutique"], client=her, product=product)
    services_timeline = TimelineEvent.objects.create(
        boutique=world_a["boutique"],
        client=her,
        kind="message",
        occurred_at=timezone.now(),
        summary="Is the coat in?",
    )
    context = selectors.walk_in_context(her)
    assert context["viewed"] == [] and context["viewed_hidden"] is True
    assert [w["title"] for w in context["wishlist"]] == ["Blue Statement Coat"]
    assert context["last_message"]["summary"] == services_timeline.summary
    assert context["sizes"] == {"coats": "M"} and context["tier"] == her.tier
    grant(her, "personalization")
    context = selectors.walk_in_context(her)
    assert [v["title"] for v in context["viewed"]] == ["Blue Statement Coat"] and not context["viewed_hidden"]


def test_context_has_her_open_bag_and_holds(world_a, associate_actor):
    from omnipresence.inventory import services as inventory
    from omnipresence.orders.models import Cart, CartLine

    her = make_client(world_a)
    cart = Cart.objects.create(boutique=world_a["boutique"], currency="GBP", client_ref="ada@example.com")
    CartLine.objects.create(cart=cart, variant=world_a["variants"][1], quantity=1)
    inventory.hold_place(actor=associate_actor, location=world_a["shop"], variant=world_a["variants"][0], quantity=1,
                         kind="client", client_name="Ada", client_contact="ada@example.com")  # fmt: skip
    context = selectors.walk_in_context(her)
    assert context["bag"]["pieces"] == 1 and context["bag"]["lines"][0]["title"] == "Blue Statement Coat"
    assert [h["shop"] for h in context["holds"]] == ["Soho"]


def run_async(function):
    """Run an async test body in a thread of its own: Playwright's sync API (the browser test, in
    the same worker) leaves an event loop running in the main thread, where async_to_sync refuses."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(async_to_sync(function)).result()


def _headers(user) -> list:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if user is not None:
        http = HttpClient()
        http.force_login(user)
        headers.append((b"cookie", f"sessionid={http.cookies['sessionid'].value}".encode()))
    return headers


def _connect(user, slug="atelier-a"):
    headers = _headers(user)

    async def run():
        communicator = WebsocketCommunicator(application, f"/ws/console/{slug}/alerts/", headers=headers)
        return communicator, await communicator.connect()

    return run_async(run)


@pytest.mark.django_db(transaction=True)
def test_consumer_refuses_anonymous_and_other_boutique(world_a, world_b, associate_b):
    communicator, (connected, code) = _connect(None)
    assert (connected, code) == (False, 4401)
    communicator, (connected, code) = _connect(associate_b)
    assert (connected, code) == (False, 4403)
    communicator, (connected, code) = _connect(associate_b, slug="nope")
    assert (connected, code) == (False, 4404)


@pytest.mark.django_db(transaction=True)
def test_alert_goes_to_her_associate_not_to_an_unrelated_one_and_ack(world_a):
    from omnipresence.stores import services as stores

    primary = make_staff(world_a, "alice")
    stores_member = stores.staff_add(boutique=world_a["boutique"], username="carl", role="associate",
                                     password="pass-1234-word", home_location=world_a["shop2"])  # fmt: skip
    unrelated = stores_member.user
    her = make_client(world_a, associate=primary)
    # alice's home shop is Soho; she checks in at Chelsea: alice hears as her associate, carl (Chelsea team) too
    bystander = stores.staff_add(boutique=world_a["boutique"], username="dora", role="associate",
                                 password="pass-1234-word", home_location=world_a["shop"]).user  # fmt: skip

    headers = {user.username: _headers(user) for user in (primary, unrelated, bystander)}

    acker = staff_http(unrelated)

    async def run():
        comms = {}
        for username, user_headers in headers.items():
            c = WebsocketCommunicator(application, "/ws/console/atelier-a/alerts/", headers=user_headers)
            assert (await c.connect())[0]
            comms[username] = c
        visit, _ = await sync_to_async(services.visit_check_in)(
            client=her, location=world_a["shop2"], via="api"
        )
        alert = await comms["alice"].receive_json_from(timeout=3)
        team = await comms["carl"].receive_json_from(timeout=3)
        assert await comms["dora"].receive_nothing(timeout=0.3)
        ack = await sync_to_async(acker.post)(
            f"/console/atelier-a/visits/{visit.pk}/acknowledge/", HTTP_ACCEPT="application/json"
        )
        assert ack.status_code == 200
        message = await comms["alice"].receive_json_from(timeout=3)
        assert await comms["dora"].receive_nothing(timeout=0.3)
        for c in comms.values():
            await c.disconnect()
        return visit, alert, team, message

    visit, alert, team, message = run_async(run)
    assert alert["type"] == "walk_in" and alert["visit_id"] == visit.pk and team["visit_id"] == visit.pk
    assert alert["client"]["name"] == "Ada Lovelace" and alert["location"]["name"] == "Chelsea"
    assert alert["profile_url"] == f"/console/atelier-a/clients/{her.pk}/"
    assert alert["context"]["lifetime_spend_text"] == "£0.00"
    assert set(visit.notified_users.values_list("username", flat=True)) == {"alice", "carl"}
    assert message == {"type": "walk_in_taken", "visit_id": visit.pk, "by": "carl", "by_id": unrelated.pk,
                       "at": message["at"]}  # fmt: skip
    second = staff_http(primary).post(
        f"/console/atelier-a/visits/{visit.pk}/acknowledge/", HTTP_ACCEPT="application/json"
    )
    assert second.status_code == 409 and second.json()["code"] == "visit_taken"
    assert Visit.objects.get().acknowledged_by_id == unrelated.pk


def test_console_page_lists_today_and_shop_qrs(world_a, associate_a):
    her = make_client(world_a)
    services.visit_check_in(client=her, location=world_a["shop"], via="api")
    services.visit_check_in(
        client=her, location=world_a["shop2"], via="api", at=timezone.now() - timedelta(days=3)
    )
    page = staff_http(associate_a).get("/console/atelier-a/visits/").content.decode()
    assert page.count('id="visit-') == 1 and "Ada Lovelace" in page
    assert page.count('role="img"') == 2  # Soho and Chelsea, not the warehouse
    assert 'id="walk-in-alerts"' in page and 'aria-live="polite"' in page


def test_privacy_erase_and_merge(world_a):
    from omnipresence.clients.hooks import merge_handlers, privacy_handlers

    her = make_client(world_a)
    selectors.checkin_code_text(her)
    services.visit_check_in(client=her, location=world_a["shop"], via="api")
    export, erase = privacy_handlers()["visits"]
    assert export(client=her)["visits"][0]["shop"] == "Soho"
    other = make_client(world_a, email="ada2@example.com", name="Ada L")
    merge, undo = merge_handlers()["visits"]
    moved = merge(survivor_id=other.pk, merged_id=her.pk)
    assert Visit.objects.get().client_id == other.pk and CheckInCode.objects.get().client_id == other.pk
    undo(survivor_id=other.pk, merged_id=her.pk, moved=moved)
    assert Visit.objects.get().client_id == her.pk
    assert erase(client=her) == {"visits_visit": 1, "visits_checkincode": 1}
    assert not Visit.objects.exists() and not CheckInCode.objects.exists()


def test_demo_seeds_visits(world_a):
    from omnipresence.visits.demo import seed_visits

    make_client(world_a, walk_in=False)
    make_client(world_a, email="b@example.com", name="Grace Hopper", walk_in=False)
    lines = []
    assert seed_visits(world_a["boutique"], lines.append) == 2
    assert "/console/atelier-a/visits/scan/" in lines[0]
    assert seed_visits(world_a["boutique"], lines.append) == 0


def test_account_include_shows_her_qr_and_code(world_a):
    from django.template.loader import render_to_string

    her = make_client(world_a)
    html = render_to_string("visits/_account_checkin.html", {"boutique": world_a["boutique"], "client": her})
    assert 'role="img"' in html and selectors.checkin_code_text(her) in html
    assert "Only if you have agreed to be recognised" in html


def test_she_emails_herself_her_check_in_code(world_a, mailoutbox):
    from django.test import Client as HttpClient

    from omnipresence.accounts.models import HubAccount
    from omnipresence.clients.models import Identity

    her = make_client(world_a)
    email = Identity.objects.filter(client=her, kind="email").values_list("value", flat=True).first()
    http = HttpClient()
    logged_out = http.post("/atelier-a/visit/code/email/")
    assert logged_out.status_code == 302 and "/atelier-a/account/?next=" in logged_out["Location"]
    assert mailoutbox == []

    session = http.session
    session["hub_account_id"] = HubAccount.objects.create(email=email).pk
    session.save()
    sent = http.post("/atelier-a/visit/code/email/")
    assert sent.status_code == 302 and sent["Location"] == "/atelier-a/account/"
    (message,) = mailoutbox
    assert message.to == [email] and selectors.checkin_code_text(her) in message.body
    (name, content, mimetype) = message.attachments[0]
    assert (name, mimetype) == ("check-in.png", "image/png") and content.startswith(b"\x89PNG")
