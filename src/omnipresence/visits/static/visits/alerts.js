// Walk-in alerts on every console page: a toast when one of her clients (or anyone at her shop)
// checks in, with the client's context, a link to her profile and "I'm on it".
(function () {
  "use strict";
  var region = document.getElementById("walk-in-alerts");
  if (!region || !window.WebSocket) return;
  var t = {};
  Object.keys(region.dataset).forEach(function (key) {
    if (key.indexOf("t") === 0 && key.length > 1 && key[1] === key[1].toUpperCase()) t[key.slice(1).toLowerCase()] = region.dataset[key];
  });
  var style = document.createElement("style");
  style.textContent = [
    ".walk-in-alerts{position:fixed;right:.75rem;bottom:.75rem;left:.75rem;z-index:50;display:flex;flex-direction:column;gap:.5rem;max-height:70vh;overflow-y:auto;pointer-events:none}",
    "@media(min-width:40rem){.walk-in-alerts{left:auto;width:24rem}}",
    ".walk-in-toast{pointer-events:auto;background:#fff;color:#111;border:2px solid #111;border-radius:.5rem;padding:.75rem;box-shadow:0 4px 16px rgba(0,0,0,.2)}",
    ".walk-in-toast h2{font-size:1.05rem;margin:0 0 .25rem}",
    ".walk-in-toast ul{margin:.25rem 0 .5rem;padding-left:1.1rem;font-size:.9rem;overflow-wrap:anywhere}",
    ".walk-in-toast .actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}",
    ".walk-in-toast .state{font-weight:600;margin:.25rem 0}"
  ].join("");
  document.head.appendChild(style);

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function names(items) {
    return items.map(function (i) { return i.title + (i.variant ? " (" + i.variant + ")" : ""); }).join("; ");
  }
  function contextLines(c) {
    var lines = [];
    lines.push((t.spend || "Spend") + ": " + c.lifetime_spend_text + " · " + c.tier_label);
    var sizes = Object.keys(c.sizes || {}).map(function (k) { return k + " " + c.sizes[k]; });
    if (sizes.length) lines.push((t.sizes || "Sizes") + ": " + sizes.join(", "));
    if (c.bag) lines.push((t.bag || "In her bag online") + ": " + names(c.bag.lines));
    if (c.holds.length) lines.push((t.holds || "Put aside for her") + ": " + names(c.holds));
    if (c.wishlist.length) lines.push((t.wishlist || "Wishlist") + ": " + names(c.wishlist));
    if (c.viewed.length) lines.push((t.viewed || "Viewed online") + ": " + names(c.viewed));
    if (c.last_message) lines.push((t.message || "Last conversation") + ": " + c.last_message.summary);
    return lines;
  }
  function setState(toast, text) {
    var state = toast.querySelector(".state");
    state.textContent = text;
    var button = toast.querySelector("button.take");
    if (button) button.remove();
  }
  function show(alert) {
    var id = "walk-in-" + alert.visit_id;
    if (document.getElementById(id)) return;
    var toast = el("section", "", "walk-in-toast");
    toast.id = id;
    toast.setAttribute("aria-labelledby", id + "-title");
    var title = el("h2", (t.here || "{name} is here").replace("{name}", alert.client.name) + " — " + alert.location.name);
    title.id = id + "-title";
    toast.appendChild(title);
    var list = el("ul");
    contextLines(alert.context).forEach(function (line) { list.appendChild(el("li", line)); });
    toast.appendChild(list);
    toast.appendChild(el("p", "", "state"));
    var actions = el("div", "", "actions");
    var link = el("a", t.profile || "Open her profile");
    link.href = alert.profile_url;
    actions.appendChild(link);
    var take = el("button", t.take || "I'm on it", "take small");
    take.type = "button";
    take.addEventListener("click", function () {
      take.disabled = true;
      fetch(alert.acknowledge_url, {
        method: "POST", credentials: "same-origin",
        headers: {"X-CSRFToken": csrf(), "Accept": "application/json"}
      }).then(function (response) {
        return response.json().then(function (body) {
          if (response.ok) { toast.dataset.mine = "1"; setState(toast, t.yours || "You're on it."); }
          else if (body.code === "visit_taken") { setState(toast, (t.taken || "{by} is on it.").replace("{by}", (body.details || {}).by || "")); }
          else { take.disabled = false; toast.querySelector(".state").textContent = body.message || ""; }
        });
      }).catch(function () { take.disabled = false; });
    });
    actions.appendChild(take);
    var close = el("button", t.dismiss || "Dismiss", "secondary small");
    close.type = "button";
    close.addEventListener("click", function () { toast.remove(); });
    actions.appendChild(close);
    toast.appendChild(actions);
    region.appendChild(toast);
  }
  function taken(message) {
    var toast = document.getElementById("walk-in-" + message.visit_id);
    if (!toast || toast.dataset.mine) return;
    setState(toast, (t.taken || "{by} is on it.").replace("{by}", message.by));
  }
  var delay = 1000;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + region.getAttribute("data-socket"));
    socket.onopen = function () { delay = 1000; region.dataset.connected = "1"; };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "walk_in") show(message);
      else if (message.type === "walk_in_taken") taken(message);
    };
    socket.onclose = function (event) {
      delete region.dataset.connected;
      if (event.code >= 4400 && event.code < 4500) return; // refused: not staff here
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
