/* The booking pages without JavaScript are plain forms and links; this only enhances them:
   - the calendar opens in her own time zone (the browser's, as a `tz` parameter) on first load;
   - a form is sent once, however often it is clicked (the server is safe anyway: holds and an
     idempotency key). */
(function () {
  "use strict";

  var detect = document.querySelector("[data-detect-zone]");
  if (detect) {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    var url = new URL(window.location.href);
    if (zone && !url.searchParams.has("tz")) {
      url.searchParams.set("tz", zone);
      window.location.replace(url.toString());
      return;
    }
  }

  var once = document.querySelectorAll("form[data-submit-once]");
  once.forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent === "1") { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.setAttribute("aria-busy", "true");
    });
  });
  // Back to this page from the next one (the browser's page cache): the forms work again.
  window.addEventListener("pageshow", function () {
    once.forEach(function (form) { delete form.dataset.sent; form.removeAttribute("aria-busy"); });
  });
})();
