// Product page: live availability. The server pushes every change over a websocket; each message
// that differs from what is shown makes htmx fetch the rendered block again (one rendering path,
// escaped and translated on the server). Without a socket, htmx polls every 30 s instead.
(function () {
  "use strict";
  var live = false;
  window.omniPollWanted = function () { return !live; };
  var config = document.getElementById("live-config");
  if (!config || !("WebSocket" in window)) { return; }
  var path = config.dataset.socketPath;
  var known = config.dataset.snapshot;
  var retry = 1000;

  function signature(message) {
    var parts = [];
    (message.variants || []).forEach(function (v) {
      parts.push(v.sku + "|online|" + v.online);
      (v.locations || []).forEach(function (l) { parts.push(v.sku + "|" + l.code + "|" + l.available); });
    });
    parts.sort();
    return parts.join(";");
  }

  function showLive() {
    var badge = document.getElementById("live-status");
    if (!badge) { return; }
    badge.classList.toggle("on", live);
    badge.textContent = live ? badge.dataset.on : badge.dataset.off;
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + path);
    socket.onopen = function () { retry = 1000; live = true; showLive(); };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type !== "availability") { return; }
      var current = signature(message);
      if (current === known) { return; }
      known = current;
      var body = document.getElementById("availability-body");
      if (body && window.htmx) { window.htmx.trigger(body, "refresh"); }
    };
    socket.onclose = function () {
      live = false; showLive();
      window.setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  document.addEventListener("htmx:afterSwap", showLive);
  connect();
})();
