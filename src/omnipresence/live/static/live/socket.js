/* The live event's socket, shared by her event page (event.js) and the host view (host.js):
   connects to root's data-socket, hands each JSON frame to onFrame, reconnects with backoff
   (1 s doubling to 30 s) unless the server refused the socket for good (4401, 4403, 4404),
   says "offline" in the state element once it had been open, and pings every 25 s. */
window.omniLiveSocket = function (root, options) {
  "use strict";
  var socket = null, delay = 1000, opened = false;

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.getAttribute("data-socket"));
    socket.onopen = function () { opened = true; delay = 1000; };
    socket.onmessage = function (message) {
      var frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      options.onFrame(frame);
    };
    socket.onclose = function (event) {
      root.removeAttribute("data-connected");
      socket = null;
      if (event.code === 4401 || event.code === 4403 || event.code === 4404) return;
      if (options.state && opened) options.state.textContent = options.offline;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  function send(frame) {
    if (!socket || socket.readyState !== 1) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  connect();
  setInterval(function () { send({type: "ping"}); }, 25000);
  return {send: send};
};
