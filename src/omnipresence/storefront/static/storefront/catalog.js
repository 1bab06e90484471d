// Boutique catalogue: keep the filter panel open or closed as the visitor left it across htmx
// swaps (and open on wide screens, where it sits beside the results), and leave empty fields out
// of the request so the address pushed to the history stays short and shareable.
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 900px)");
  var wasOpen = null;
  function panel() { return document.getElementById("filters"); }
  document.addEventListener("htmx:configRequest", function (event) {
    var params = event.detail.parameters;
    var keys = typeof params.keys === "function" ? Array.from(params.keys()) : Object.keys(params);
    keys.forEach(function (key) {
      var value = typeof params.get === "function" ? params.get(key) : params[key];
      if (value === "" || (key === "sort" && value === "relevance")) {
        if (typeof params.delete === "function") { params.delete(key); } else { delete params[key]; }
      }
    });
  });
  document.addEventListener("htmx:beforeRequest", function () { var p = panel(); wasOpen = p ? p.open : null; });
  document.addEventListener("htmx:afterSwap", function () {
    var p = panel();
    if (p && wasOpen !== null) { p.open = wasOpen || wide.matches; }
  });
  var p = panel();
  if (p && wide.matches) { p.open = true; }
})();
