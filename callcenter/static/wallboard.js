// The wallboard redraws its panel from the server whenever the console socket says something
// it shows has changed (debounced), after a reconnect (to resync), and every 30 s (time left).
(function () {
  var panel = document.getElementById("sla-panel");
  if (!panel) return;
  var WATCHED = ["connect", "sla.warning", "sla.breached", "ticket.updated", "ticket.assigned", "ticket.message",
                 "queue.stats", "presence.changed"];
  var timer = null, inflight = false, again = false;

  function redraw() {
    timer = null;
    if (inflight) { again = true; return; }
    inflight = true;
    fetch(panel.dataset.panelUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        // Signed out (the session ended): show the sign-in page itself, never inside the panel.
        if (r.redirected || r.status === 401 || r.status === 403) { window.location.reload(); throw new Error("signed out"); }
        if (!r.ok) throw new Error(r.status);
        return r.text();
      })
      .then(function (html) {
        panel.innerHTML = html;
        panel.dataset.redraws = String(parseInt(panel.dataset.redraws || "0", 10) + 1);
        document.body.dataset.stale = "";
      })
      .catch(function () { document.body.dataset.stale = "1"; })
      .finally(function () {
        inflight = false;
        if (again) { again = false; soon(); }
      });
  }

  function soon() {
    if (timer === null) timer = setTimeout(redraw, 300);
  }

  document.addEventListener("console", function (e) {
    if (WATCHED.indexOf(e.detail.name) >= 0) soon();
  });
  setInterval(soon, 30000);
})();
