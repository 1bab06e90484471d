/* The appointment room: the countdown to the hard cap, the camera's self-view (local video, no
   network), and the shared cart kept live: forms are posted with fetch, and every change (by
   either side) arrives on the room's socket, after which the cart's fragment is reloaded. */
(function () {
  "use strict";
  var room = document.getElementById("room");
  if (!room) return;
  var alertBox = document.getElementById("room-alert");
  var statusBox = document.getElementById("room-status");
  var cart = document.getElementById("room-cart");
  var closesAt = Date.parse(room.dataset.closes);
  var closed = false;

  function say(text) { if (statusBox) statusBox.textContent = text; }
  function showError(text) {
    if (!alertBox) return;
    alertBox.textContent = text || "";
    alertBox.hidden = !text;
  }

  // --- the countdown -------------------------------------------------------------------------
  var line = document.getElementById("room-countdown-line");
  var clock = document.getElementById("room-countdown");
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    if (!clock || closed) return;
    var left = Math.max(0, Math.floor((closesAt - Date.now()) / 1000));
    if (left <= 0) {
      closed = true;
      line.textContent = line.dataset.closedText;
      room.dataset.closed = "1";
      cart.querySelectorAll(".room-form button, .room-form input").forEach(function (el) { el.disabled = true; });
      say(line.dataset.closedText);
      return;
    }
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    clock.textContent = (h ? h + ":" + pad(m) : m) + ":" + pad(s);
  }
  tick();
  setInterval(tick, 1000);

  // --- the camera (self-view only: the demo is offline) -----------------------------------------
  var camera = document.getElementById("camera-button");
  var video = document.getElementById("self-view");
  var placeholder = document.getElementById("self-view-placeholder");
  if (camera && video) {
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      camera.hidden = false;
      camera.addEventListener("click", function () {
        navigator.mediaDevices.getUserMedia({ video: true, audio: false }).then(function (stream) {
          video.srcObject = stream;
          video.hidden = false;
          placeholder.hidden = true;
          camera.hidden = true;
        }).catch(function () {
          placeholder.textContent = camera.dataset.unavailable;
        });
      });
    } else {
      placeholder.textContent = camera.dataset.unavailable;
    }
  }

  // --- the shared cart -----------------------------------------------------------------------
  var loading = null, again = false;
  function reload() {
    if (loading) { again = true; return loading; }
    loading = fetch(room.dataset.cartUrl, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var focused = document.activeElement && document.activeElement.id;
        var body = document.getElementById("room-cart-body");
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#room-cart-body");
        if (!fresh || !body) return;
        body.replaceWith(fresh);
        if (closed) fresh.querySelectorAll(".room-form button, .room-form input").forEach(function (el) { el.disabled = true; });
        if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
        say(fresh.dataset.summary);
      })
      .catch(function () { /* the next push or post tries again */ })
      .then(function () {
        loading = null;
        if (again) { again = false; reload(); }
      });
    return loading;
  }

  cart.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("room-form")) return;
    event.preventDefault();
    var data = new FormData(form);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.getAttribute("action"), {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": data.get("csrfmiddlewaretoken") || "" }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      if (answer.ok) {
        showError("");
        say(answer.body.message || "");
      } else {
        showError(answer.body.message || "");
      }
      return reload();
    }).catch(function () {
      showError(alertBox ? alertBox.dataset.offline || "" : "");
    }).then(function () {
      buttons.forEach(function (b) { if (document.body.contains(b)) b.disabled = closed; });
    });
  });

  // --- the socket ----------------------------------------------------------------------------
  var delay = 1000;
  function connect() {
    if (!window.WebSocket || closed) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + room.dataset.socket);
    socket.addEventListener("open", function () { delay = 1000; });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.kind === "cart") {
        room.dataset.connected = "1";
        reload();
      } else if (frame.kind === "error") {
        showError(frame.message);
      }
    });
    socket.addEventListener("close", function (event) {
      room.dataset.connected = "0";
      if (event.code === 4403 || event.code === 4404 || closed) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }
  connect();
})();
