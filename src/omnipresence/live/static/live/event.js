/* The live event page: countdowns (the start, her reservations), and the event's socket: stock,
   viewers, the pinned piece, the chat (post, hidden messages vanish), slow mode, status changes.
   Without it the page still works: every form posts to the server. */
(function () {
  "use strict";
  var root = document.getElementById("live-event");
  function t(name) { return (root && root.getAttribute("data-t-" + name)) || ""; }
  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-expires]").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("data-expires")) - now) / 1000;
      if (left > 0) { el.textContent = clock(left); return; }
      var item = el.closest("li, section");
      if (item && !item.hasAttribute("data-lapsed")) {
        item.setAttribute("data-lapsed", "1");
        item.querySelectorAll("form button").forEach(function (b) { b.disabled = true; });
        el.parentNode.textContent = t("lapsed") || el.parentNode.textContent;
      }
    });
    var start = document.getElementById("countdown");
    if (start && root) {
      var wait = (Date.parse(start.getAttribute("data-starts")) - now) / 1000;
      start.textContent = wait > 0 ? t("starts").replace("{time}", clock(wait)) : t("soon");
    }
  }
  tick();
  setInterval(tick, 1000);

  // The replay: a piece's time seeks the video there (without JS: ?t= and a media fragment).
  document.querySelectorAll("a[data-seek]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var video = document.querySelector("video#replay");
      var seconds = Number(link.getAttribute("data-seek"));
      var status = document.getElementById("seek-status");
      if (!video) { if (status) status.textContent = t("jumped").replace("{time}", clock(seconds)); event.preventDefault(); return; }
      event.preventDefault();
      video.currentTime = seconds;
      video.play().catch(function () {});
      if (status) status.textContent = t("jumped").replace("{time}", clock(seconds));
    });
  });

  if (!root || !root.getAttribute("data-socket")) return;
  var state = document.getElementById("socket-state");
  var chatList = document.getElementById("chat-messages");
  var form = document.getElementById("chat-form");
  var chatStatus = document.getElementById("chat-status");

  function applyStock(products) {
    (products || []).forEach(function (p) {
      var label = root.querySelector('[data-stock="' + p.product_id + '"]');
      if (label && String(p.available) !== label.getAttribute("data-available")) {
        label.setAttribute("data-available", String(p.available));
        label.textContent = p.available > 0 ? t("available").replace("{n}", p.available) : t("sold-out");
      }
      var card = document.getElementById("product-" + p.product_id);
      if (!card) return;
      (p.variants || []).forEach(function (v) {
        var opt = card.querySelector('[data-variant="' + v.id + '"]');
        if (!opt) return;
        opt.setAttribute("data-available", String(v.available));
        if (opt.tagName === "OPTION") opt.disabled = v.available <= 0;
      });
      var button = card.querySelector(".reserve-button");
      if (button) button.disabled = p.available <= 0;
    });
  }

  function setViewers(now) {
    var el = document.getElementById("viewer-count");
    if (el && typeof now === "number") el.textContent = String(now);
  }

  function setSlowMode(seconds) {
    var el = document.getElementById("slow-mode");
    if (!el) return;
    el.hidden = !seconds;
    if (seconds) el.textContent = t("slow").replace("{n}", seconds);
  }

  function setPinned(product) {
    var box = document.getElementById("pinned"), link = document.getElementById("pinned-link");
    root.querySelectorAll(".featured-card.is-pinned").forEach(function (c) { c.classList.remove("is-pinned"); });
    if (!box || !link) return;
    if (!product) { box.hidden = true; return; }
    link.textContent = product.title;
    link.setAttribute("href", "#product-" + product.product_id);
    box.hidden = false;
    var card = document.getElementById("product-" + product.product_id);
    if (card) card.classList.add("is-pinned");
  }

  function addMessage(m) {
    if (!chatList || document.getElementById("message-" + m.id)) return;
    var empty = chatList.querySelector(".chat-empty");
    if (empty) empty.remove();
    var li = document.createElement("li");
    li.id = "message-" + m.id;
    li.setAttribute("data-message", m.id);
    if (m.staff) li.className = "staff";
    var name = document.createElement("strong");
    name.className = "chat-name";
    name.textContent = m.name;
    if (m.staff) {
      var role = document.createElement("span");
      role.className = "chat-role";
      role.textContent = " · " + t("staff");
      name.appendChild(role);
    }
    var text = document.createElement("span");
    text.className = "chat-text";
    text.textContent = m.text;
    li.appendChild(name);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(text);
    chatList.appendChild(li);
    while (chatList.children.length > 200) chatList.firstElementChild.remove();
    chatList.scrollTop = chatList.scrollHeight;
  }

  function handle(frame) {
    switch (frame.kind) {
      case "batch": (frame.frames || []).forEach(handle); break;
      case "hello":
        if (frame.event && frame.event.status !== root.getAttribute("data-status")) { location.reload(); return; }
        if (frame.event) { applyStock(frame.event.featured); setSlowMode(frame.event.slow_mode_seconds); }
        if (frame.viewers) setViewers(frame.viewers.now);
        root.setAttribute("data-connected", "1");
        if (state) state.textContent = t("connected");
        break;
      case "stock": applyStock(frame.products); break;
      case "viewers": setViewers(frame.now); break;
      case "chat": addMessage(frame.message); break;
      case "chat_hidden":
        (frame.ids || []).forEach(function (id) { var li = document.getElementById("message-" + id); if (li) li.remove(); });
        break;
      case "pinned": setPinned(frame.product); break;
      case "slow_mode": setSlowMode(frame.seconds); break;
      case "featured": location.reload(); break;
      case "status": if (frame.status !== root.getAttribute("data-status")) location.reload(); break;
      case "details":
        var h1 = root.querySelector("h1");
        if (h1 && frame.title) h1.textContent = frame.title;
        break;
      case "ack":
        if (form) form.elements.text.value = "";
        if (chatStatus) { chatStatus.className = "chat-status"; chatStatus.textContent = t("sent"); }
        break;
      case "error":
        if (chatStatus) { chatStatus.className = "chat-status alert error"; chatStatus.textContent = frame.message; chatStatus.setAttribute("data-code", frame.code); }
        break;
    }
  }

  var live = window.omniLiveSocket(root, {onFrame: handle, state: state, offline: t("offline")});

  if (form) {
    form.addEventListener("submit", function (event) {
      if (!live.send({type: "chat", name: form.elements.name.value, text: form.elements.text.value})) return; // the form posts to the page
      event.preventDefault();
      if (chatStatus) { chatStatus.className = "chat-status"; chatStatus.textContent = ""; chatStatus.removeAttribute("data-code"); }
    });
  }
})();
