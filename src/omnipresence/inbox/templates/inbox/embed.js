{% autoescape off %}/* Omnipresence web chat: one script tag (src ".../chat/<key>/embed.js", async) on any site adds a
   chat button and, when it is pressed, the boutique's chat in an iframe served from the boutique's own
   address (its socket, storage and styles stay there). Nothing of the host page is read. */
(function (config) {
  "use strict";
  if (window.__omniChatLoaded) { return; }
  window.__omniChatLoaded = true;
  var script = document.currentScript;
  var src = new URL(config.path, script && script.src ? script.src : window.location.href).href;
  var origin = new URL(src).origin;
  var CSS = [
    ":host { all: initial; }",
    ".launcher { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; width: 56px; height: 56px;",
    "  padding: 0; margin: 0; border-radius: 50%; border: 2px solid #ffffff; cursor: pointer;",
    "  display: flex; align-items: center; justify-content: center;",
    "  background: " + config.accent + "; color: " + config.onAccent + "; box-shadow: 0 2px 10px rgba(0,0,0,.35); }",
    ".launcher:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 3px; box-shadow: 0 0 0 6px #ffffff; }",
    ".launcher svg { width: 28px; height: 28px; }",
    ".badge { position: absolute; top: -2px; right: -2px; width: 14px; height: 14px; border-radius: 50%;",
    "  background: #b91c1c; border: 2px solid #ffffff; }",
    ".badge[hidden] { display: none; }",
    ".panel { position: fixed; right: 16px; bottom: 84px; z-index: 2147483001; width: 380px;",
    "  height: min(620px, calc(100vh - 100px)); border: 0; border-radius: 12px; background: #ffffff;",
    "  box-shadow: 0 8px 30px rgba(0,0,0,.3); color-scheme: light; }",
    ".panel[hidden] { display: none; }",
    "@media (max-width: 480px) { .panel { top: 0; right: 0; bottom: 0; left: 0; width: 100%; height: 100%; border-radius: 0; } }"
  ].join("\n");
  var SVG = "http://www.w3.org/2000/svg";

  function icon() {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6a1.25 1.25 0 1 0 0 2.5A1.25 1.25 0 0 0 7 10zm5 0a1.25 1.25 0 1 0 0 2.5 1.25 1.25 0 0 0 0-2.5zm5 0a1.25 1.25 0 1 0 0 2.5 1.25 1.25 0 0 0 0-2.5z");
    svg.appendChild(path);
    return svg;
  }

  function start() {
    var host = document.createElement("div");
    host.setAttribute("data-omni-chat", "");
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var style = document.createElement("style");
    style.textContent = CSS;
    root.appendChild(style);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "launcher";
    button.setAttribute("aria-label", config.label);
    button.setAttribute("aria-expanded", "false");
    button.appendChild(icon());
    var badge = document.createElement("span");
    badge.className = "badge";
    badge.hidden = true;
    button.appendChild(badge);
    root.appendChild(button);
    var frame = null;
    var loaded = false;
    var open = false;

    function post(what) {
      if (frame && loaded && frame.contentWindow) { frame.contentWindow.postMessage({ omnichat: what }, origin); }
    }
    function show() {
      if (!frame) {
        frame = document.createElement("iframe");
        frame.className = "panel";
        frame.id = "omni-chat-panel";
        frame.title = config.title;
        frame.addEventListener("load", function () { loaded = true; post(open ? "open" : "closed"); });
        frame.src = src;
        root.appendChild(frame);
        button.setAttribute("aria-controls", frame.id);
      }
      open = true;
      frame.hidden = false;
      badge.hidden = true;
      button.setAttribute("aria-expanded", "true");
      button.setAttribute("aria-label", config.label);
      frame.focus();
      post("open");
    }
    function hide() {
      if (!open) { return; }
      open = false;
      frame.hidden = true;
      button.setAttribute("aria-expanded", "false");
      post("closed");
      button.focus();
    }
    button.addEventListener("click", function () { if (open) { hide(); } else { show(); } });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && open) { hide(); }
    });
    window.addEventListener("message", function (event) {
      if (!frame || event.source !== frame.contentWindow || event.origin !== origin) { return; }
      var what = event.data && event.data.omnichat;
      if (what === "close") { hide(); }
      if (what === "unread" && !open) {
        badge.hidden = false;
        button.setAttribute("aria-label", config.label + " — " + config.unread);
      }
    });
    document.body.appendChild(host);
  }

  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})({{ config }});
{% endautoescape %}