// The staff pages' live link: joins /console, tells the agent when something they can see
// changed, and keeps presence honest (the server marks an agent away when no console is open).
(function () {
  var body = document.body;
  if (!body.dataset.console || typeof io === "undefined") return;
  var banner = document.getElementById("live-banner");
  var text = banner.querySelector("[data-text]");
  var here = body.dataset.ticketId ? parseInt(body.dataset.ticketId, 10) : null;
  var changes = 0;

  // A page that redraws itself (the wallboard) needs no "something changed" banner; messages
  // for this person alone (an offer) still show.
  function show(message, personal) {
    if (body.dataset.quiet && !personal) return;
    text.textContent = message;
    banner.hidden = false;
  }

  var socket = io("/console", { transports: ["websocket", "polling"] });
  // Pages that redraw themselves listen for "console" DOM events instead of a second socket.
  socket.onAny(function (name, data) {
    document.dispatchEvent(new CustomEvent("console", { detail: { name: name, data: data } }));
  });
  socket.on("connect", function () {
    body.dataset.live = "on";
    document.dispatchEvent(new CustomEvent("console", { detail: { name: "connect", data: {} } }));
  });
  socket.on("disconnect", function () { body.dataset.live = "off"; });
  // A heartbeat: this page is still open, so its agent is not "gone" (agents/consoles.py).
  setInterval(function () { if (socket.connected) socket.emit("console_alive"); }, 20000);
  socket.on("hello", function (data) { body.dataset.seq = data.seq; });

  ["ticket.updated", "ticket.assigned", "ticket.message"].forEach(function (name) {
    socket.on(name, function (data) {
      body.dataset.seq = data.seq;
      if (here !== null) {
        if (data.ticket_id === here) show(banner.dataset.thisTicket);
        return;
      }
      changes += 1;
      show(banner.dataset.updates.replace("%(n)s", changes));
    });
  });
  ["sla.warning", "sla.breached"].forEach(function (name) {
    socket.on(name, function (data) {
      var text = banner.dataset[name === "sla.breached" ? "breached" : "warning"];
      show(text.replace("%(reference)s", data.reference));
    });
  });
  socket.on("ticket.offered", function (data) {
    if (String(data.agent_id) === body.dataset.userId) show(banner.dataset.offer.replace("%(reference)s", data.reference), true);
  });
})();
