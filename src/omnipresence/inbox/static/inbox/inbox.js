/* The console inbox, live: new messages, status, typing and read over the staff socket
   (ws/console/<slug>/inbox/), and answers sent without a reload. Text is always put in with
   textContent: a client's "<script>" shows as the words she typed. Without this script every
   form still posts and the page redraws. */
(function () {
  "use strict";
  var root = document.getElementById("inbox");
  if (!root) return;
  var live = document.getElementById("inbox-live");
  var socket = null, retry = 1000, lastTyping = {};

  function statusLabel(status) { return root.dataset["tStatus" + status.charAt(0).toUpperCase() + status.slice(1)] || status; }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function scrollDown(list) { if (list) list.scrollTop = list.scrollHeight; }
  document.querySelectorAll(".thread").forEach(scrollDown);

  function renderMessage(m) {
    var li = el("li", "msg " + m.direction + (m.purpose === "marketing" ? " marketing" : ""));
    li.id = "m-" + m.id;
    li.dataset.id = m.id;
    li.appendChild(el("span", "author", m.author || (m.direction === "in" ? root.dataset.tVisitor || "" : "")));
    if (m.body) {
      var p = el("p", "body");
      m.body.split("\n").forEach(function (line, i) { if (i) p.appendChild(document.createElement("br")); p.appendChild(document.createTextNode(line)); });
      li.appendChild(p);
    }
    var pl = m.payload || {};
    if (pl.type === "product" && pl.url) {
      var card = el("div", "card product"), a = el("a", null, pl.title || "");
      a.href = pl.url; card.appendChild(a); li.appendChild(card);
    } else if (pl.type === "hold") {
      li.appendChild(el("div", "card hold", (pl.title || "") + " · " + (pl.location || "")));
    } else if (pl.type === "pay_link" && pl.url) {
      var pay = el("div", "card pay-link"), link = el("a", null, pl.url);
      link.href = pl.url; pay.appendChild(link); li.appendChild(pay);
    } else if (pl.type === "appointment" && pl.url) {
      var invite = el("div", "card appointment"), book = el("a", null, pl.title || "");
      book.href = pl.url; invite.appendChild(book); li.appendChild(invite);
    } else if (pl.type === "video_call" && pl.appointment_id) {  // her link went in the chat; ours opens the room
      var call = el("div", "card video-call"), room = el("a", null, root.dataset.tOpenRoom);
      room.href = "/console/" + root.dataset.slug + "/appointments/" + pl.appointment_id + "/"; call.appendChild(room); li.appendChild(call);
    } else if (pl.type === "code") {
      li.appendChild(el("div", "card code", pl.code || ""));
    }
    (m.attachments || []).forEach(function (f) {
      if (!/^\/inbox\/media\//.test(f.url)) return;
      if (/^image\//.test(f.content_type)) {
        var img = document.createElement("img"); img.src = f.url; img.alt = ""; img.loading = "lazy"; li.appendChild(img);
      } else {
        var video = document.createElement("video"); video.src = f.url; video.controls = true; video.preload = "metadata"; li.appendChild(video);
      }
    });
    var when = el("span", "when", new Date(m.created_at).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"}));
    if (m.direction === "out") {
      when.appendChild(document.createTextNode(" · "));
      var st = el("span", "msg-status", statusLabel(m.status)); st.dataset.status = m.status; when.appendChild(st);
    }
    li.appendChild(when);
    if (m.direction === "out") showFailure(li, m.conversation_id, m.id, m.status, m.error);
    return li;
  }

  // A message that failed says why, with "Send again" (a button of the answer form, as on the page).
  function showFailure(li, conversationId, messageId, status, error) {
    var shown = li.querySelector(".msg-failed");
    if (status !== "failed") { if (shown) shown.remove(); return; }
    if (shown) return;
    var p = el("p", "msg-failed"), again = el("button", "button small secondary", root.dataset.tResend);
    p.appendChild(el("span", "msg-error", error || ""));
    p.appendChild(document.createTextNode(" "));
    again.type = "submit"; again.name = "resend"; again.value = String(messageId);
    again.setAttribute("form", "compose-" + conversationId);
    p.appendChild(again);
    li.appendChild(p);
  }

  function addMessage(m) {
    var thread = document.getElementById("thread-" + m.conversation_id);
    if (thread && !document.getElementById("m-" + m.id)) {
      var empty = thread.querySelector(".empty"); if (empty) empty.remove();
      thread.appendChild(renderMessage(m));
      scrollDown(thread);
      if (m.direction === "in") send({type: "read", conversation_id: m.conversation_id});
    }
    var row = document.getElementById("conv-" + m.conversation_id);
    if (!row && m.direction === "in") row = addRow(m);
    if (row) {
      var preview = row.querySelector(".preview"); if (preview) preview.textContent = m.body || "";
      var list = row.parentNode; if (list.firstElementChild !== row) list.insertBefore(row, list.firstElementChild);
    }
    if (m.direction === "in" && live) live.textContent = (root.dataset.tNew || "").replace("{name}", m.author || "");
  }

  // A conversation the page has not drawn yet: a row at the top of the list (the next reload
  // draws it in full).
  function addRow(m) {
    var list = document.getElementById("conversations");
    if (!list) {
      var section = document.querySelector(".conversation-list");
      if (!section) return null;
      var empty = section.querySelector(":scope > .empty"); if (empty) empty.remove();
      list = el("ul", "conversations"); list.id = "conversations"; section.appendChild(list);
    }
    var li = el("li", "conversation unread"); li.id = "conv-" + m.conversation_id; li.dataset.id = m.conversation_id;
    li.dataset.waitingSince = m.created_at; li.dataset.target = "30";
    var a = el("a"); a.href = "/console/" + root.dataset.slug + "/inbox/" + m.conversation_id + "/";
    a.appendChild(el("span", "who", m.author || root.dataset.tVisitor || ""));
    a.appendChild(el("span", "preview", m.body || ""));
    var meta = el("span", "meta"); meta.appendChild(el("span", "badge unread-count", "1")); a.appendChild(meta);
    li.appendChild(a);
    list.insertBefore(li, list.firstElementChild);
    return li;
  }

  function updateConversation(c) {
    var row = document.getElementById("conv-" + c.id);
    if (!row) return;
    row.classList.toggle("unread", c.unread > 0);
    var badge = row.querySelector(".unread-count");
    if (c.unread > 0) {
      if (!badge) { badge = el("span", "badge unread-count"); var meta = row.querySelector(".meta"); if (meta) meta.insertBefore(badge, meta.firstChild); }
      badge.textContent = c.unread;
    } else if (badge) { badge.remove(); }
    if (c.waiting_since) { row.dataset.waitingSince = c.waiting_since; } else { delete row.dataset.waitingSince; var w = row.querySelector(".waiting"); if (w) w.remove(); row.classList.remove("overdue"); }
  }

  // The list says how many of our messages in a conversation the channel did not take (live).
  function updateNotSent(conversationId, messageId, status) {
    var row = document.getElementById("conv-" + conversationId);
    if (!row) return;
    var ids = (row.dataset.failed || "").split(" ").filter(Boolean), id = String(messageId), at = ids.indexOf(id);
    if (status === "failed" && at < 0) ids.push(id);
    else if (status !== "failed" && at >= 0) ids.splice(at, 1);
    else return;
    row.dataset.failed = ids.join(" ");
    var badge = row.querySelector(".not-sent");
    if (!ids.length) { if (badge) badge.remove(); return; }
    if (!badge) { badge = el("span", "badge not-sent"); var meta = row.querySelector(".meta"); if (meta) meta.insertBefore(badge, meta.firstChild); }
    badge.textContent = root.dataset.tNotSent.replace("{n}", ids.length);
  }

  function showTyping(id) {
    var note = document.getElementById("typing-" + id);
    if (!note) return;
    note.hidden = false;
    clearTimeout(note._timer);
    note._timer = setTimeout(function () { note.hidden = true; }, 4000);
  }

  function onEvent(event) {
    if (event.kind === "message") addMessage(event.message);
    else if (event.kind === "message_updated") {  // her photos, fetched from the provider
      var shown = document.getElementById("m-" + event.message.id);
      if (shown) shown.replaceWith(renderMessage(event.message));
    } else if (event.kind === "message_status") {
      var item = document.getElementById("m-" + event.message_id);
      var st = item && item.querySelector(".msg-status");
      if (st) { st.textContent = statusLabel(event.status); st.dataset.status = event.status; }
      if (item) showFailure(item, event.conversation_id, event.message_id, event.status, event.error);
      updateNotSent(event.conversation_id, event.message_id, event.status);
    } else if (event.kind === "conversation") updateConversation(event.conversation);
    else if (event.kind === "typing" && event.who === "client") showTyping(event.conversation_id);
  }

  // What was said between the page's drawing and the socket's opening (or while it was down).
  function catchUp() {
    var pending = [];
    document.querySelectorAll(".pane[data-conversation]").forEach(function (pane) {
      var id = pane.dataset.conversation, newest = 0;
      pane.querySelectorAll(".thread > .msg").forEach(function (m) { newest = Math.max(newest, parseInt(m.dataset.id, 10) || 0); });
      pending.push(fetch("/console/" + root.dataset.slug + "/inbox/" + id + "/messages/?after=" + newest, {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {messages: []}; })
        .then(function (body) { body.messages.forEach(addMessage); })
        .catch(function () {}));
    });
    Promise.all(pending).then(function () { root.dataset.live = "on"; });
  }
  function send(frame) { if (socket && socket.readyState === 1) socket.send(JSON.stringify(frame)); }

  function connect() {
    if (!root.dataset.socket || !window.WebSocket) return;
    socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.dataset.socket);
    socket.onopen = function () { retry = 1000; catchUp(); };
    socket.onmessage = function (e) { try { onEvent(JSON.parse(e.data)); } catch (err) { /* a frame we cannot read */ } };
    socket.onclose = function () { root.dataset.live = "off"; setTimeout(connect, retry); retry = Math.min(retry * 2, 30000); };
  }
  connect();
  setInterval(function () { send({type: "ping"}); }, 30000);

  // Waiting times tick on the page, against each inbox's first-response target.
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".conversation[data-waiting-since]").forEach(function (row) {
      var seconds = Math.max(0, Math.round((now - Date.parse(row.dataset.waitingSince)) / 1000));
      var text = seconds < 60 ? seconds + " s" : seconds < 3600 ? Math.floor(seconds / 60) + " min" : Math.floor(seconds / 3600) + " h";
      var w = row.querySelector(".waiting");
      if (!w) { w = el("span", "waiting"); var meta = row.querySelector(".meta"); if (meta) meta.appendChild(w); }
      w.textContent = (root.dataset.tWaiting || "waiting {t}").replace("{t}", text);
      var late = seconds > parseInt(row.dataset.target || "30", 10);
      w.classList.toggle("late", late); row.classList.toggle("overdue", late);
    });
  }
  setInterval(tick, 5000);

  // Answers without a reload; typing sent at most every 2 s per conversation.
  document.querySelectorAll("form.compose").forEach(function (form) {
    var id = form.dataset.conversation;
    var box = form.querySelector("textarea");
    if (box) box.addEventListener("input", function () {
      var now = Date.now();
      if (!lastTyping[id] || now - lastTyping[id] > 2000) { lastTyping[id] = now; send({type: "typing", conversation_id: parseInt(id, 10)}); }
    });
    form.addEventListener("submit", function (e) {
      var submitter = e.submitter;
      var action = submitter && submitter.name === "action" ? submitter.value : (submitter && submitter.name === "card" ? "card" : "send");
      if (submitter && submitter.name === "resend") action = "resend";
      if (action !== "send" && action !== "canned" && action !== "resend") return;  // cards and searches redraw the page
      e.preventDefault();
      var data = new FormData(form);
      data.set("action", action);
      if (action === "resend") data.set("resend", submitter.value);
      var picker = form.querySelector("input[type=file]");
      var sentText = box ? box.value : "", sentFiles = picker ? picker.files : null;
      var pane = form.closest(".pane");
      var old = pane.querySelector(".alert.error.js-error"); if (old) old.remove();
      if (submitter) submitter.disabled = true;
      fetch(form.getAttribute("action"), {method: "POST", body: data, headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
        .then(function (res) {
          if (!res.ok) {
            var alert = el("p", "alert error js-error", res.body.message || "Error"); alert.setAttribute("role", "alert");
            form.parentNode.insertBefore(alert, form);
            return;
          }
          if (action === "canned") { box.value = res.body.text; box.focus(); return; }
          if (action === "resend") {  // back on its way: the status follows on the socket
            var again = res.body.message && document.getElementById("m-" + res.body.message.id);
            if (again) again.replaceWith(renderMessage(res.body.message));
            return;
          }
          if (res.body.message) addMessage(res.body.message);
          // Clear only what went out: words typed or photos picked while it was sending stay.
          if (box && box.value === sentText) box.value = "";
          if (picker && picker.files === sentFiles) picker.value = "";
          if (box) box.focus();
        })
        .catch(function () { if (action !== "resend") form.submit(); })  // never the draft in place of a resend
        .finally(function () { if (submitter) submitter.disabled = false; });
    });
  });
})();
