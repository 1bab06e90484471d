// The web chat widget (inbox/widget.html), usually inside the iframe embed.js adds to a page.
// One socket (inbox.widget_consumer): hello with the visitor id kept in localStorage, then her
// messages (each with a uuid, so a resend after a lost connection is stored once), her email or
// phone, typing. Every text from the server is put in with textContent, never as HTML.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("chat-config").textContent);
  var S = config.strings;
  var framed = window.parent !== window;
  var $ = function (id) { return document.getElementById(id); };
  var log = $("chat-log"), empty = $("chat-empty"), typing = $("chat-typing"), connection = $("chat-connection");
  var form = $("chat-form"), text = $("chat-text"), sendError = $("chat-send-error");
  var identify = $("chat-identify"), identifyForm = $("identify-form"), identifyValue = $("identify-value");
  var identifyError = $("identify-error"), identifyDone = $("identify-done"), closeButton = $("chat-close");
  var rendered = {};   // message id -> element
  var pending = {};    // uuid -> {text, element}
  var order = [];      // pending uuids, oldest first
  var socket = null, ready = false, retry = 1000, closedForGood = false;
  var visible = !framed, lastTyping = 0, typingTimer = null, identifying = false;
  var IDENTIFY_CODES = { invalid_email: 1, invalid_phone: 1, identifier_required: 1 };

  var store = {
    get: function () { try { return window.localStorage.getItem(config.storage); } catch (e) { return null; } },
    set: function (value) { try { window.localStorage.setItem(config.storage, value); } catch (e) { /* private mode */ } }
  };
  var visitor = store.get();

  function uuid4() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function safeUrl(value) {
    if (typeof value !== "string" || !value) { return null; }
    try {
      var url = new URL(value, window.location.href);
      return (url.protocol === "https:" || url.protocol === "http:") ? url.href : null;
    } catch (e) { return null; }
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined && content !== null) { node.textContent = String(content); }
    return node;
  }

  function link(href, label) {
    var a = el("a", null, label);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  function nearBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }

  function place(node, stick) {
    if (empty) { empty.remove(); empty = null; }
    log.appendChild(node);
    if (stick) { log.scrollTop = log.scrollHeight; }
  }

  function card(payload) {
    if (!payload || !payload.type) { return null; }
    var box = el("div", "card");
    var url = safeUrl(payload.url);
    if (payload.type === "product") {
      var image = safeUrl(payload.image);
      if (image) { var img = el("img"); img.src = image; img.alt = ""; box.appendChild(img); }
      box.appendChild(el("p", null, payload.title || ""));
      if (url) { box.appendChild(link(url, S.open)); }
    } else if (payload.type === "pay_link") {
      if (url) { box.appendChild(link(url, S.pay)); }
    } else if (payload.type === "hold") {
      box.appendChild(el("p", null, [payload.title, payload.location].filter(Boolean).join(" — ")));
    } else if (payload.type === "appointment") {
      box.appendChild(el("p", null, payload.title || ""));
      if (url) { box.appendChild(link(url, S.book)); }
    } else if (payload.type === "video_call") {
      box.appendChild(el("p", null, payload.title || ""));
      if (url) { box.appendChild(link(url, S.join)); }
    } else if (payload.type === "code") {
      box.appendChild(el("p", null, payload.code || ""));
    } else {
      return null;
    }
    return box;
  }

  function attachments(message, node) {
    (message.attachments || []).forEach(function (a) {
      var url = safeUrl(a.url);
      if (!url) { return; }
      var shot = el("p", "shot");
      if (/^image\//.test(a.content_type || "")) {
        var img = el("img");
        img.src = url;
        img.alt = S.attachment;
        var a1 = link(url, null);
        a1.appendChild(img);
        shot.appendChild(a1);
      } else {
        shot.appendChild(link(url, S.attachment));
      }
      node.appendChild(shot);
    });
  }

  function stateText(message) { return message.seen ? S.read : S.sent; }

  function draw(message) {
    var mine = message.direction === "in";
    var node = el("div", "msg " + (mine ? "mine" : "theirs"));
    node.dataset.id = message.id;
    var author = mine ? S.you : (message.author && message.author !== "system" ? message.author : S.team);
    node.appendChild(el("p", mine ? "who visually-hidden" : "who", author));
    if (message.body) { node.appendChild(el("p", "bubble", message.body)); }
    var extra = card(message.payload);
    if (extra) { node.appendChild(extra); }
    attachments(message, node);
    if (mine) {
      var state = el("p", "state", stateText(message));
      node.appendChild(state);
    }
    return node;
  }

  function upsert(message) {
    if (!message || !message.id) { return; }
    var existing = rendered[message.id];
    if (existing) {
      if (message.seen) { markSeen(existing); }
      return;
    }
    var stick = nearBottom();
    var node = draw(message);
    rendered[message.id] = node;
    place(node, stick);
  }

  function markSeen(node) {
    var state = node.querySelector(".state");
    if (state && state.textContent !== S.read) { state.textContent = S.read; }
  }

  function markAllSeen() {
    Object.keys(rendered).forEach(function (id) { markSeen(rendered[id]); });
  }

  function showError(node, message) { node.textContent = message || ""; }

  function send(frame) {
    if (socket && ready) { socket.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function sendPending(id) {
    var item = pending[id];
    if (item) { send({ type: "message", uuid: id, text: item.text }); }
  }

  function dropPending(id) {
    var item = pending[id];
    if (!item) { return null; }
    item.element.remove();
    delete pending[id];
    order = order.filter(function (x) { return x !== id; });
    return item;
  }

  function showTyping(name) {
    typing.textContent = S.typing.replace("%(name)s", name || S.team);
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(function () { typing.textContent = ""; }, 6000);
  }

  function showIdentified() {
    identify.hidden = true;
    identifyDone.textContent = S.identified;
  }

  function notifyUnread() {
    if (framed && !visible) { window.parent.postMessage({ omnichat: "unread" }, "*"); }
  }

  var handlers = {
    hello: function (data) {
      visitor = data.visitor;
      store.set(visitor);
      (data.messages || []).forEach(upsert);
      if (data.identified) { showIdentified(); }
      connection.textContent = "";
      document.body.setAttribute("data-connected", "1");
      order.forEach(sendPending);  // written while offline, or not acknowledged before a drop
    },
    ack: function (data) {
      dropPending(data.uuid);
      upsert(data.message);
      showError(sendError, "");
    },
    message: function (data) {
      var message = data.message;
      if (message && message.direction === "out") {
        markAllSeen();  // an answer means her messages were read
        typing.textContent = "";
        if (!rendered[message.id]) { notifyUnread(); }
      }
      upsert(message);
    },
    read: function () { markAllSeen(); },
    typing: function (data) { if (data.who !== "client") { showTyping(data.name); } },
    identified: function () {
      identifying = false;
      showError(identifyError, "");
      showIdentified();
      text.focus();
    },
    error: function (data) {
      if (data.uuid && pending[data.uuid]) {
        var item = dropPending(data.uuid);
        if (!text.value) { text.value = item.text; }
        showError(sendError, data.code === "rate_limited" ? S.rateLimited : data.message);
        return;
      }
      if (identifying && (IDENTIFY_CODES[data.code] || data.code === "rate_limited")) {
        identifying = false;
        showError(identifyError, data.code === "rate_limited" ? data.message : S.invalidContact);
        identifyValue.setAttribute("aria-invalid", "true");
        identifyValue.focus();
        return;
      }
      showError(sendError, data.message);
    }
  };

  function connect() {
    if (closedForGood) { return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + config.socket);
    socket.onopen = function () {
      ready = true;
      retry = 1000;
      send({ type: "hello", visitor: visitor });
    };
    socket.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      var handler = data && handlers[data.kind];
      if (handler) { handler(data); }
    };
    socket.onclose = function (event) {
      ready = false;
      document.body.removeAttribute("data-connected");
      if (event.code === 4404) {
        closedForGood = true;
        connection.textContent = S.closed;
        text.disabled = true;
        $("chat-send").disabled = true;
        return;
      }
      connection.textContent = S.offline;
      window.setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var value = text.value.trim();
    if (!value) { text.focus(); return; }
    var id = uuid4();
    var node = draw({ id: id, direction: "in", body: value, payload: {}, attachments: [] });
    node.querySelector(".state").textContent = S.sending;
    place(node, true);
    pending[id] = { text: value, element: node };
    order.push(id);
    text.value = "";
    showError(sendError, "");
    sendPending(id);
    text.focus();
  });

  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  text.addEventListener("input", function () {
    var now = Date.now();
    if (now - lastTyping > 2000 && text.value) { lastTyping = now; send({ type: "typing" }); }
  });

  identifyForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var value = identifyValue.value.trim();
    identifyValue.removeAttribute("aria-invalid");
    if (!value) {
      showError(identifyError, S.invalidContact);
      identifyValue.setAttribute("aria-invalid", "true");
      identifyValue.focus();
      return;
    }
    var frame = { type: "identify" };
    frame[value.indexOf("@") >= 0 ? "email" : "phone"] = value;
    identifying = send(frame);
    if (!identifying) { showError(identifyError, S.offline); }
  });

  function closeWidget() { if (framed) { window.parent.postMessage({ omnichat: "close" }, "*"); } }

  if (framed) {
    closeButton.hidden = false;
    closeButton.addEventListener("click", closeWidget);
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeWidget(); }
  });
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || !event.data) { return; }
    if (event.data.omnichat === "open") { visible = true; text.focus(); }
    if (event.data.omnichat === "closed") { visible = false; }
  });

  connect();
})();
