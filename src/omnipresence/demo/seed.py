"""The demo hub: three boutiques in three countries, currencies and languages, each with two shops
and a warehouse, 320+ products with colour/size variants, pictures, stock, staff and client holds.

Catalog and stock are written in bulk (a seeder's job is speed); every stock row still gets its
receipt movement, so the ledger adds up exactly as if each delivery had been booked one by one.
Holds are placed through the services, as an associate would.
"""

import random
from dataclasses import dataclass
from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from omnipresence.accounts.demo import seed_accounts
from omnipresence.appointments.demo import seed_appointments
from omnipresence.attribution.demo import seed_attribution
from omnipresence.catalog.models import Category, Product, ProductImage, Variant
from omnipresence.catalog.services import category_ensure
from omnipresence.clienteling.demo import seed_clienteling
from omnipresence.clients.demo import seed_clients
from omnipresence.demo.images import COLOURS, product_picture
from omnipresence.fulfilment.demo import seed_fulfilment
from omnipresence.inbox.demo import seed_inbox
from omnipresence.inventory import services as inventory
from omnipresence.inventory.models import Movement, Stock
from omnipresence.live.demo import seed_live
from omnipresence.orders.demo import seed_orders
from omnipresence.payments.demo import seed_payments
from omnipresence.returns.demo import seed_returns
from omnipresence.shares.demo import seed_shares
from omnipresence.stores import services as stores
from omnipresence.stores.access import actor_for_user, system_actor
from omnipresence.stores.models import Boutique, Location
from omnipresence.visits.demo import seed_visits

DEMO_PASSWORD = "omnipresence"

# (type key, category path, base price in GBP pounds, sizes, English nouns, French nouns)
TYPES = [
    ("coat", "Women > Coats", 420, ["XS", "S", "M", "L", "XL"], ["Coat", "Overcoat", "Trench Coat"], ["Manteau", "Pardessus", "Trench"]),
    ("dress", "Women > Dresses", 190, ["XS", "S", "M", "L"], ["Dress", "Midi Dress", "Wrap Dress"], ["Robe", "Robe midi", "Robe portefeuille"]),
    ("knit", "Women > Knitwear", 140, ["XS", "S", "M", "L"], ["Jumper", "Cardigan", "Roll-neck"], ["Pull", "Cardigan", "Col roulé"]),
    ("trousers", "Women > Trousers", 150, ["34", "36", "38", "40", "42"], ["Trousers", "Wide-leg Trousers", "Cigarette Trousers"], ["Pantalon", "Pantalon large", "Pantalon cigarette"]),
    ("jacket", "Men > Jackets", 320, ["S", "M", "L", "XL"], ["Jacket", "Blazer", "Field Jacket"], ["Veste", "Blazer", "Veste de terrain"]),
    ("shirt", "Men > Shirts", 95, ["S", "M", "L", "XL"], ["Shirt", "Oxford Shirt", "Overshirt"], ["Chemise", "Chemise Oxford", "Surchemise"]),
    ("knit", "Men > Knitwear", 150, ["S", "M", "L", "XL"], ["Sweater", "Crew-neck", "Quarter-zip"], ["Pull", "Col rond", "Camionneur"]),
    ("bag", "Accessories > Bags", 260, ["One size"], ["Tote", "Crossbody Bag", "Weekender"], ["Cabas", "Sac bandoulière", "Sac week-end"]),
    ("scarf", "Accessories > Scarves", 75, ["One size"], ["Scarf", "Stole", "Bandana"], ["Écharpe", "Étole", "Foulard"]),
    ("shoe", "Shoes", 210, ["36", "37", "38", "39", "40", "41", "42"], ["Loafers", "Ankle Boots", "Trainers"], ["Mocassins", "Bottines", "Baskets"]),
]  # fmt: skip
ADJECTIVES_EN = ["Statement", "Belted", "Tailored", "Relaxed", "Cropped", "Double-faced", "Classic", "Oversized",
                 "Quilted", "Pleated", "Soft", "Structured", "Heritage", "Everyday", "Evening", "Weekend"]  # fmt: skip
ADJECTIVES_FR = ["Signature", "Ceinturé", "Ajusté", "Décontracté", "Court", "Double face", "Classique", "Ample",
                 "Matelassé", "Plissé", "Doux", "Structuré", "Héritage", "Quotidien", "Du soir", "Week-end"]  # fmt: skip
MATERIALS = ["Wool", "Cashmere", "Cotton", "Linen", "Silk", "Leather", "Suede", "Merino", "Tweed", "Denim"]
MATERIALS_FR = {"Wool": "laine", "Cashmere": "cachemire", "Cotton": "coton", "Linen": "lin", "Silk": "soie",
                "Leather": "cuir", "Suede": "daim", "Merino": "mérinos", "Tweed": "tweed", "Denim": "denim"}  # fmt: skip
BRANDS = ["Maison Bleue", "Harrow & Vale", "Atelier Nord", "Kloof Street", "Fynbos", "Rue Oberkampf", "Linnea",
          "Old Bond", "Saltriver Studio", "Camille Roux", "Northfold", "Tessellate"]  # fmt: skip
TAGS = ["new-in", "sustainable", "bestseller", "gift", "limited", "handmade", "winter", "summer", "occasion"]


@dataclass(frozen=True)
class BoutiqueSpec:
    slug: str
    name: str
    tagline: str
    country: str
    city: str
    currency: str
    language: str
    timezone: str
    tax_rate_bp: int
    price_factor: float
    price_round: int  # minor units
    brand_colour: str
    shops: tuple[tuple[str, str, str, str], ...]  # code, name, address, postcode
    warehouse: tuple[str, str, str, str]
    hours: dict[int, list[tuple[str, str]]]
    staff: tuple[tuple[str, str, str, str, int], ...]  # username, first, last, role, home shop index
    french: bool = False


def _h(*spec: str) -> list[tuple[str, str]]:
    return [tuple(p.split("-")) for p in spec]


SPECS = [
    BoutiqueSpec(
        slug="maison-soho", name="Maison Soho", tagline="Modern tailoring and soft knits, London since 2009",
        country="GB", city="London", currency="GBP", language="en-GB", timezone="Europe/London",
        tax_rate_bp=2000, price_factor=1.0, price_round=500, brand_colour="#1f3a5f",
        shops=(("soho", "Soho", "12 Greek Street", "W1D 4DH"), ("chelsea", "Chelsea", "88 King's Road", "SW3 4TZ")),
        warehouse=("park-royal", "Park Royal warehouse", "Unit 4, Abbey Road", "NW10 7SJ"),
        hours={0: _h("10:00-19:00"), 1: _h("10:00-19:00"), 2: _h("10:00-19:00"), 3: _h("10:00-20:00"),
               4: _h("10:00-19:00"), 5: _h("10:00-19:00"), 6: _h("12:00-17:00")},
        staff=(("olivia", "Olivia", "Hart", "owner", 0), ("marcus", "Marcus", "Reid", "manager", 0),
               ("amara", "Amara", "Okafor", "associate", 0), ("james", "James", "Whitfield", "associate", 1)),
    ),
    BoutiqueSpec(
        slug="bo-kaap-atelier", name="Bo-Kaap Atelier", tagline="Kaapse vakmanskap — Cape craft, worn every day",
        country="ZA", city="Cape Town", currency="ZAR", language="af-ZA", timezone="Africa/Johannesburg",
        tax_rate_bp=1500, price_factor=22.0, price_round=1000, brand_colour="#7a2e1f",
        shops=(("bree", "Bree Street", "120 Bree Street", "8001"), ("waterfront", "V&A Waterfront", "Victoria Wharf, Shop 6", "8002")),
        warehouse=("montague", "Montague Gardens warehouse", "7 Section Street", "7441"),
        hours={0: _h("09:00-18:00"), 1: _h("09:00-18:00"), 2: _h("09:00-18:00"), 3: _h("09:00-18:00"),
               4: _h("09:00-18:00"), 5: _h("09:00-14:00")},
        staff=(("thandi", "Thandi", "Mokoena", "owner", 0), ("pieter", "Pieter", "van Wyk", "manager", 0),
               ("lerato", "Lerato", "Dlamini", "associate", 0), ("johan", "Johan", "Botha", "associate", 1)),
    ),
    BoutiqueSpec(
        slug="atelier-marais", name="Atelier Marais", tagline="Le vestiaire parisien, pièce par pièce",
        country="FR", city="Paris", currency="EUR", language="fr-FR", timezone="Europe/Paris",
        tax_rate_bp=2000, price_factor=1.15, price_round=500, brand_colour="#2d4a3e",
        shops=(("marais", "Le Marais", "24 rue Vieille-du-Temple", "75004"), ("saint-germain", "Saint-Germain", "9 rue du Dragon", "75006")),
        warehouse=("saint-ouen", "Entrepôt Saint-Ouen", "41 rue des Rosiers", "93400"),
        hours={0: _h("14:00-19:00"), 1: _h("10:30-19:30"), 2: _h("10:30-19:30"), 3: _h("10:30-19:30"),
               4: _h("10:30-19:30"), 5: _h("10:30-19:30")},
        staff=(("camille", "Camille", "Laurent", "owner", 0), ("julien", "Julien", "Moreau", "manager", 0),
               ("ines", "Inès", "Benali", "associate", 0), ("hugo", "Hugo", "Petit", "associate", 1)),
        french=True,
    ),
]  # fmt: skip


def _ean13(base12: str) -> str:
    digits = [int(d) for d in base12]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return base12 + str(check)


def _picture_paths(rng: random.Random) -> dict[tuple[str, str], tuple[str, str]]:
    """One picture per garment kind and colour, shared by the products that look alike."""
    paths = {}
    for kind in {t[0] for t in TYPES}:
        for colour in COLOURS:
            full = f"demo/{kind}-{colour.lower()}.jpg"
            thumb = f"demo/{kind}-{colour.lower()}-thumb.jpg"
            if not default_storage.exists(full):
                default_storage.save(full, ContentFile(product_picture(kind, colour)))
            if not default_storage.exists(thumb):
                default_storage.save(thumb, ContentFile(product_picture(kind, colour, (240, 300))))
            paths[(kind, colour)] = (full, thumb)
    return paths


def _boutique(spec: BoutiqueSpec) -> tuple[Boutique, list[Location]]:
    boutique = stores.boutique_create(
        name=spec.name, slug=spec.slug, country=spec.country, currency=spec.currency, language=spec.language,
        timezone_name=spec.timezone, city=spec.city, tax_rate_bp=spec.tax_rate_bp, tagline=spec.tagline,
        brand_colour=spec.brand_colour,
    )  # fmt: skip
    actor = system_actor(boutique)
    locations = []
    for i, (code, name, address, postcode) in enumerate(spec.shops):
        shop = stores.location_create(
            actor=actor, code=code, name=name, kind="shop", address=address, postcode=postcode, city=spec.city,
            country=spec.country, offers_pickup=True, fulfils_online=(i == 0), feeds_online=True, priority=20 + i,
        )  # fmt: skip
        periods = [(day, time.fromisoformat(o), time.fromisoformat(c)) for day, ps in spec.hours.items() for o, c in ps]
        stores.opening_hours_set(actor=actor, location=shop, periods=periods)
        locations.append(shop)
    code, name, address, postcode = spec.warehouse
    locations.append(
        stores.location_create(
            actor=actor, code=code, name=name, kind="warehouse", address=address, postcode=postcode,
            city=spec.city, country=spec.country, sells_in_person=False, offers_pickup=False, fulfils_online=True,
            feeds_online=True, priority=10,
        )  # fmt: skip
    )
    today = timezone.localdate()
    christmas = today.replace(month=12, day=25)
    if christmas < today:
        christmas = christmas.replace(year=today.year + 1)
    for shop in locations[:2]:
        stores.hours_exception_add(actor=actor, location=shop, day=christmas, closed=True, note="Christmas Day")
    return boutique, locations


def _catalog(spec: BoutiqueSpec, boutique: Boutique, locations: list[Location], rng: random.Random,
             pictures: dict, scale: int, boutique_index: int) -> int:  # fmt: skip
    categories: dict[str, Category] = {}
    products: list[Product] = []
    plans = []
    seen_handles: set[str] = set()
    per_type = 32 * scale
    for type_index, (kind, category_path, base, sizes, nouns_en, nouns_fr) in enumerate(TYPES):
        if category_path not in categories:
            categories[category_path] = category_ensure(boutique=boutique, path=category_path)
        for n in range(per_type):
            material = MATERIALS[(n + type_index) % len(MATERIALS)]
            noun_i = n % 3
            if spec.french:
                adjective = ADJECTIVES_FR[(n // 3) % len(ADJECTIVES_FR)]
                title = f"{nouns_fr[noun_i]} {adjective.lower()} en {MATERIALS_FR[material]}"
            else:
                adjective = ADJECTIVES_EN[(n // 3) % len(ADJECTIVES_EN)]
                title = f"{adjective} {material} {nouns_en[noun_i]}"
            colours = rng.sample(list(COLOURS), 2 if kind not in {"bag", "scarf"} else 3)
            if n == 0 and kind == "coat" and not spec.french:
                title, colours = "Blue Statement Coat", ["Blue", "Camel"]
            handle = slugify(title)
            if handle in seen_handles:
                handle = f"{handle}-{n}"
            seen_handles.add(handle)
            brand = BRANDS[(n * 7 + type_index) % len(BRANDS)]
            price_gbp = base * rng.choice([0.6, 0.8, 1.0, 1.0, 1.2, 1.5, 2.2])
            price = max(spec.price_round, int(round(price_gbp * spec.price_factor * 100 / spec.price_round)) * spec.price_round)
            description = (
                f"{title} by {brand}. {material} — cut in our atelier, finished by hand. "
                f"Colours: {', '.join(colours)}."
            )
            product = Product(
                boutique=boutique, handle=handle, title=title, brand=brand, description=description,
                category=categories[category_path], tags=rng.sample(TAGS, 2), status=Product.Status.ACTIVE,
            )  # fmt: skip
            products.append(product)
            plans.append((kind, colours, sizes, price, material))
    Product.objects.bulk_create(products, batch_size=500)
    # created_at is auto_now_add: spread it so "newest" means something.
    now = timezone.now()
    for i, product in enumerate(products):
        product.created_at = now - timedelta(hours=i * 7 % 2000)
    Product.objects.bulk_update(products, ["created_at"], batch_size=500)

    variants: list[Variant] = []
    images: list[ProductImage] = []
    counter = 0
    for product, (kind, colours, sizes, price, material) in zip(products, plans, strict=True):
        for ci, colour in enumerate(colours):
            full, thumb = pictures[(kind, colour)]
            images.append(ProductImage(boutique=boutique, product=product, image=full, thumbnail=thumb,
                                       alt=f"{product.title} in {colour.lower()}", position=ci))  # fmt: skip
            for si, size in enumerate(sizes):
                counter += 1
                sku = f"{spec.slug[:3].upper()}-{product.pk:06d}-{colour.upper()}-{slugify(size).upper() or 'OS'}"
                variants.append(Variant(
                    boutique=boutique, product=product, sku=sku, barcode=_ean13(f"{20 + boutique_index}{counter:010d}"),
                    colour=colour, size=size, material=material, price=price,
                    compare_at_price=price * 5 // 4 if counter % 9 == 0 else None, currency=spec.currency,
                    weight_grams=300 + 100 * si, position=ci * len(sizes) + si,
                ))  # fmt: skip
    ProductImage.objects.bulk_create(images, batch_size=1000)
    Variant.objects.bulk_create(variants, batch_size=1000)

    stocks: list[Stock] = []
    for variant in variants:
        for location in locations:
            if location.kind == Location.Kind.WAREHOUSE:
                on_hand = rng.choice([0, 2, 4, 6, 8, 12])
            else:
                on_hand = rng.choice([0, 0, 1, 1, 2, 3, 4])
            if on_hand:
                stocks.append(Stock(boutique=boutique, location=location, variant=variant, on_hand=on_hand))
    Stock.objects.bulk_create(stocks, batch_size=2000)
    Movement.objects.bulk_create(
        (
            Movement(boutique=boutique, stock=s, location=s.location, variant=s.variant, kind=Movement.Kind.RECEIPT,
                     quantity=s.on_hand, reason="opening stock", actor_label="demo seed")  # fmt: skip
            for s in stocks
        ),
        batch_size=2000,
    )
    return len(variants)


def _staff(spec: BoutiqueSpec, boutique: Boutique, locations: list[Location]) -> list:
    users = []
    for username, first, last, role, home in spec.staff:
        member = stores.staff_add(
            boutique=boutique, username=username, role=role, password=DEMO_PASSWORD, home_location=locations[home],
            first_name=first, last_name=last, email=f"{username}@{spec.slug}.example",
        )  # fmt: skip
        users.append(member.user)
    return users


DIAL = {"GB": "+447", "ZA": "+27", "FR": "+33"}  # E.164 mobile prefixes
CLIENTS = ["Clarissa Dalloway", "Elizabeth Bennet", "Jay Gatsby", "Nomvula Khumalo", "Amélie Poulain", "Sipho Ndlovu"]


def _holds(boutique: Boutique, associates: list, rng: random.Random) -> int:
    """A few clients' items put aside by associates, as on any busy week."""
    placed = 0
    for n, user in enumerate(associates):
        actor = actor_for_user(user, boutique)
        home = actor.membership.home_location
        candidates = list(
            Stock.objects.filter(location=home, on_hand__gte=2).select_related("variant", "location").order_by("pk")[:40]
        )
        for stock in rng.sample(candidates, min(3, len(candidates))):
            client = CLIENTS[(placed + n) % len(CLIENTS)]
            inventory.hold_place(
                actor=actor, location=stock.location, variant=stock.variant, quantity=1, client_name=client,
                client_contact=f"{DIAL[boutique.country]}{rng.randint(600000000, 799999999)}", note="Will try on Saturday",
                ttl_minutes=rng.choice([6, 24, 48, 72]) * 60,
            )  # fmt: skip
            placed += 1
    return placed


def seed_demo(*, scale: int = 1, log=print) -> list[Boutique]:
    """Create the demo hub; boutiques that exist already are left as they are (safe to re-run)."""
    rng = random.Random(20261122)
    pictures = _picture_paths(rng)
    user_model = get_user_model()
    if not user_model.objects.filter(username="admin").exists():
        user_model.objects.create_superuser("admin", "admin@hub.example", DEMO_PASSWORD)
    created = []
    for index, spec in enumerate(SPECS):
        if Boutique.objects.filter(slug=spec.slug).exists():
            log(f"  {spec.name}: already seeded")
            continue
        with transaction.atomic():
            boutique, locations = _boutique(spec)
            variant_count = _catalog(spec, boutique, locations, rng, pictures, scale, index)
            users = _staff(spec, boutique, locations)
        held = _holds(boutique, users[2:], rng)
        orders = seed_orders(boutique, log=lambda *_: None)
        paid = seed_payments(boutique, log=lambda *_: None)
        seed_fulfilment(boutique, log=log)  # prints the ready pickup's code (shown only once)
        seed_returns(boutique, log=log)  # and the store credit and gift card codes
        seed_clients(boutique, log=lambda *_: None)
        seed_accounts(boutique, log=lambda *_: None)
        seed_clienteling(boutique, log=lambda *_: None)
        seed_shares(boutique, log=log)  # prints the lookbook's link
        seed_inbox(boutique, log=lambda *_: None)
        seed_visits(boutique, log=log)  # prints a client's check-in link
        seed_appointments(boutique, log=log)  # prints her link to the first appointment
        seed_live(boutique, log=log)  # live now with the local stream; prints its API address
        seed_attribution(boutique, log=lambda *_: None)  # credits every seeded order
        log(f"  {spec.name}: {Product.objects.filter(boutique=boutique).count()} products, "
            f"{variant_count} variants, {len(locations)} locations, {held} client holds, {orders} orders, "
            f"{paid['payments']} payments, {paid['pay_links']} pay links")  # fmt: skip
        created.append(boutique)
    if created:
        _rebuild_search(log)
    return created


def _rebuild_search(log) -> None:
    try:
        from omnipresence.search.services import search_index_rebuild
    except ImportError:  # the search index is optional for the seeder
        return
    search_index_rebuild()
    log("  search index built")
