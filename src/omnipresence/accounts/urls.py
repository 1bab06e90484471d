"""URL patterns (filled in by the app's owner)."""

urlpatterns: list = []
