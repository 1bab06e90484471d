/* The console host view: the event's socket keeps the chat (new messages, hidden ones marked),
   the stock of the featured pieces, the sales (read again after each stock change), the viewer
   count and slow mode current. Hide and the staff answer go on the socket when it is open;
   every other action is a form that posts and comes back here. */
(function () {
  "use strict";
  var root = document.getElementById("live-host");
  if (!root) return;
  function t(name) { return root.getAttribute("data-t-" + name) || ""; }
  var state = document.getElementById("socket-state");
  var list = document.getElementById("chat-messages");
  var actionError = document.getElementById("action-error");
  var live = null, salesTimer = null;

  function send(frame) { return live.send(frame); }

  function showError(message) {
    if (!actionError) return;
    actionError.textContent = message;
    actionError.hidden = !message;
  }

  function applyStock(products) {
    (products || []).forEach(function (p) {
      var el = root.querySelector('[data-stock="' + p.product_id + '"]');
      if (el) el.textContent = String(p.available);
      (p.variants || []).forEach(function (v) {
        var cell = root.querySelector('[data-variant-stock="' + v.id + '"]');
        if (cell) cell.textContent = String(v.available);
      });
    });
  }

  function refreshSales() {
    clearTimeout(salesTimer);
    salesTimer = setTimeout(function () {
      fetch(root.getAttribute("data-sales"), {headers: {Accept: "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (sales) {
          if (!sales) return;
          document.getElementById("sales-reserved").textContent = String(sales.units.reserved);
          document.getElementById("sales-ordered").textContent = String(sales.units.ordered);
          document.getElementById("sales-orders").textContent = String(sales.orders);
          document.getElementById("sales-total").textContent = sales.total_display;
        })
        .catch(function () {});
    }, 150);
  }

  function markHidden(id) {
    var li = document.getElementById("message-" + id);
    if (!li || li.classList.contains("is-hidden")) return;
    li.classList.add("is-hidden");
    var badge = document.createElement("span");
    badge.className = "badge hidden-badge";
    badge.textContent = t("hidden");
    li.querySelector("p").appendChild(document.createTextNode(" "));
    li.querySelector("p").appendChild(badge);
    var hide = li.querySelector('form[data-frame="hide"]');
    if (hide) hide.remove();
  }

  function moderationForm(url, id, label, kind, className) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = url.replace("/messages/0/", "/messages/" + id + "/");
    var csrf = document.createElement("input");
    csrf.type = "hidden"; csrf.name = "csrfmiddlewaretoken"; csrf.value = root.getAttribute("data-csrf");
    form.appendChild(csrf);
    if (kind) { form.setAttribute("data-frame", kind); form.setAttribute("data-message", id); }
    var button = document.createElement("button");
    button.type = "submit"; button.className = "small " + className; button.textContent = label;
    form.appendChild(button);
    return form;
  }

  function addMessage(m) {
    if (!list || document.getElementById("message-" + m.id)) return;
    var empty = list.querySelector(".chat-empty");
    if (empty) empty.remove();
    var li = document.createElement("li");
    li.id = "message-" + m.id;
    li.setAttribute("data-message", m.id);
    if (m.staff) li.className = "staff";
    var p = document.createElement("p");
    var name = document.createElement("strong");
    name.textContent = m.name;
    p.appendChild(name);
    if (m.staff) {
      var role = document.createElement("span");
      role.className = "muted";
      role.textContent = " · " + t("staff");
      p.appendChild(role);
    }
    p.appendChild(document.createTextNode(" " + m.text));
    li.appendChild(p);
    if (!m.staff && root.getAttribute("data-hide-url")) {
      var actions = document.createElement("div");
      actions.className = "actions";
      actions.appendChild(moderationForm(root.getAttribute("data-hide-url"), m.id, t("hide"), "hide", "secondary"));
      actions.appendChild(moderationForm(root.getAttribute("data-ban-url"), m.id, t("ban"), "", "danger"));
      li.appendChild(actions);
    }
    list.appendChild(li);
    while (list.children.length > 300) list.firstElementChild.remove();
    list.scrollTop = list.scrollHeight;
  }

  function handle(frame) {
    switch (frame.kind) {
      case "batch": (frame.frames || []).forEach(handle); break;
      case "hello":
        if (frame.event && frame.event.status !== root.getAttribute("data-status")) { location.reload(); return; }
        if (frame.event) applyStock(frame.event.featured);
        if (frame.viewers) { var c = document.getElementById("viewer-count"); if (c) c.textContent = String(frame.viewers.now); }
        root.setAttribute("data-connected", "1");
        if (state) state.textContent = t("connected");
        refreshSales();
        break;
      case "stock": applyStock(frame.products); refreshSales(); break;
      case "viewers": var count = document.getElementById("viewer-count"); if (count) count.textContent = String(frame.now); break;
      case "chat": addMessage(frame.message); break;
      case "chat_hidden": (frame.ids || []).forEach(markHidden); break;
      case "slow_mode":
        var slow = document.getElementById("slow-state");
        if (slow) slow.textContent = frame.seconds ? t("slow").replace("{n}", frame.seconds) : t("slow-off");
        var input = document.getElementById("slow-seconds");
        if (input && document.activeElement !== input) input.value = String(frame.seconds);
        break;
      case "pinned": case "featured": case "status": location.reload(); break;
      case "ack":
        var text = document.getElementById("staff-text");
        if (text) text.value = "";
        showError("");
        break;
      case "error": showError(frame.message); break;
    }
  }

  live = window.omniLiveSocket(root, {onFrame: handle, state: state, offline: t("offline")});
  // An order (her checkout) changes no stock: the sales are read again every few seconds too.
  if (root.getAttribute("data-status") === "live") setInterval(refreshSales, 5000);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("data-frame") === "hide") {
      if (send({type: "hide", message_id: Number(form.getAttribute("data-message"))})) event.preventDefault();
    } else if (form.id === "staff-chat-form") {
      if (send({type: "chat", text: form.elements.text.value})) event.preventDefault();
    }
  });
})();
