"""The search index: a document per published product, a row per sellable variant with its facet
values, and each boutique's vocabulary (for typo tolerance).

Only active products with at least one active variant are indexed. The full-text part lives
beside these tables and follows `SearchDocument.body` by itself (see migrations/0001):
SQLite: the FTS5 table `search_fts` (rowid = product id), kept in step by triggers;
PostgreSQL: the generated column `search_document.tsv` (to_tsvector('simple', body)) + GIN index.
"""

from django.db import models

from omnipresence.catalog.models import Category, Product, Variant
from omnipresence.stores.models import Boutique


class SearchDocument(models.Model):
    product = models.OneToOneField(Product, primary_key=True, on_delete=models.CASCADE, related_name="+")
    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, null=True, on_delete=models.SET_NULL, related_name="+")
    brand_key = models.CharField(max_length=80)
    brand = models.CharField(max_length=80)
    created_at = models.DateTimeField()
    # Over the product's active variants (used when no variant-level filter narrows them).
    price_min = models.PositiveBigIntegerField()
    price_max = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    # Folded words of each field, space separated, for the relevance score (title > brand > tags).
    title_words = models.TextField()
    brand_words = models.TextField()
    tag_words = models.TextField()
    # Every word of title, brand, tags and description: what the full-text index holds.
    body = models.TextField()

    class Meta:
        db_table = "search_document"
        indexes = [models.Index(fields=["boutique", "created_at"], name="search_doc_boutique_new")]

    def __str__(self) -> str:
        return f"search document of product {self.product_id}"


class SearchVariant(models.Model):
    """One sellable variant with the product's facet values copied in, so filtering and facet
    counting read one narrow table through covering indexes."""

    variant = models.OneToOneField(Variant, primary_key=True, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="variants")
    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, null=True, on_delete=models.SET_NULL, related_name="+")
    brand_key = models.CharField(max_length=80)
    brand = models.CharField(max_length=80)
    colour_key = models.CharField(max_length=40)
    colour = models.CharField(max_length=40)
    size_key = models.CharField(max_length=20)
    size = models.CharField(max_length=20)
    price = models.PositiveBigIntegerField()

    class Meta:
        db_table = "search_variant"
        indexes = [
            # Facet counting and filtering within a boutique: every column a facet query reads.
            models.Index(
                fields=["boutique", "category", "brand_key", "colour_key", "size_key", "price", "document"],
                name="search_var_facets",
            ),
            # Facet counting across the hub: read in colour order, no sort needed for the count.
            models.Index(
                fields=["colour_key", "document", "boutique", "category", "brand_key", "size_key", "price"],
                name="search_var_colour",
            ),
            models.Index(fields=["document", "price"], name="search_var_doc"),
        ]

    def __str__(self) -> str:
        return f"search row of variant {self.variant_id}"


class SearchTerm(models.Model):
    """A word of a boutique's indexed documents and in how many of them it occurs."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    word = models.CharField(max_length=64)
    length = models.PositiveSmallIntegerField()
    doc_count = models.IntegerField(default=0)

    class Meta:
        db_table = "search_term"
        constraints = [models.UniqueConstraint(fields=["boutique", "word"], name="search_term_unique")]
        indexes = [models.Index(fields=["boutique", "length"], name="search_term_length")]

    def __str__(self) -> str:
        return f"{self.word} ({self.doc_count})"


class SearchFacetCount(models.Model):
    """How many indexed products of a boutique's category have a facet value: the counts a
    browse without text, price or stock filters adds up (a product is in one category, so the
    sums are exact). facet: "c" colour, "s" size, "b" brand, "k" the category itself (key "")."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    category_id = models.BigIntegerField(default=0, help_text="0: no category")
    facet = models.CharField(max_length=1)
    key = models.CharField(max_length=80)
    products = models.IntegerField(default=0)

    class Meta:
        db_table = "search_facet_count"
        constraints = [
            models.UniqueConstraint(fields=["boutique", "category_id", "facet", "key"], name="search_facet_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.facet}:{self.key} = {self.products}"


class SearchFacetLabel(models.Model):
    """How a facet key is shown: "navy blue" → "Navy Blue" (the first spelling indexed)."""

    facet = models.CharField(max_length=1)
    key = models.CharField(max_length=80)
    label = models.CharField(max_length=80)

    class Meta:
        db_table = "search_facet_label"
        constraints = [models.UniqueConstraint(fields=["facet", "key"], name="search_facet_label_unique")]

    def __str__(self) -> str:
        return self.label
