// The wallboard redraws its panel from the server whenever the console socket says something
// it shows has changed (debounced), after a reconnect (to resync), and every 30 s (time left).
// In wall-screen mode (data-wall-screen) it also cycles through everybody and each team, and
// when a redraw fails (network down, server restarting) it says so and tries again every few
// seconds until the server answers: nobody has to touch a wall screen.
(function () {
  var panel = document.getElementById("sla-panel");
  if (!panel) return;
  var body = document.body;
  var wall = body.dataset.wallScreen === "1";
  var WATCHED = ["connect", "sla.warning", "sla.breached", "ticket.updated", "ticket.assigned", "ticket.message",
                 "queue.stats", "presence.changed", "callback.due", "disconnect"];
  var RETRY_MS = 3000;
  var timer = null, inflight = false, again = false, retry = null, seen = null;

  function setStale(stale) {
    body.dataset.stale = stale ? "1" : "";
    var state = document.querySelector("[data-wall-state]");
    if (state) state.textContent = stale ? state.dataset.offlineText : "";
    if (stale && wall && retry === null) retry = setTimeout(function () { retry = null; soon(); }, RETRY_MS);
  }

  function redraw() {
    timer = null;
    if (inflight) { again = true; return; }
    inflight = true;
    // The snapshot must have seen the latest event this screen heard (kpi/snapshots.py).
    var url = new URL(panel.dataset.panelUrl, window.location.href);
    if (seen !== null) url.searchParams.set("seen", String(seen));
    fetch(url.pathname + url.search, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        // Signed out (the session ended): show the sign-in page itself, never inside the panel.
        if (r.redirected || r.status === 401 || r.status === 403) { window.location.reload(); throw new Error("signed out"); }
        if (!r.ok) throw new Error(r.status);
        return r.text();
      })
      .then(function (html) {
        panel.innerHTML = html;
        panel.dataset.redraws = String(parseInt(panel.dataset.redraws || "0", 10) + 1);
        setStale(false);
      })
      .catch(function () { setStale(true); })
      .finally(function () {
        inflight = false;
        if (again) { again = false; soon(); }
      });
  }

  function soon() {
    if (timer === null) timer = setTimeout(redraw, 300);
  }

  function cycle() {
    var teams = JSON.parse(document.getElementById("wall-teams").textContent || '[""]');
    var label = document.querySelector("[data-wall-team]");
    var allTeams = document.querySelector("[data-all-teams-label]").textContent;
    var at = 0;
    var seconds = Math.max(5, parseInt(body.dataset.cycleSeconds || "20", 10));
    setInterval(function () {
      if (teams.length < 2) return;
      at = (at + 1) % teams.length;
      var url = new URL(panel.dataset.panelBase, window.location.href);
      if (teams[at]) url.searchParams.set("team", teams[at]);
      panel.dataset.panelUrl = url.pathname + url.search;
      label.textContent = teams[at] || allTeams;
      label.dataset.team = teams[at];
      redraw();
    }, seconds * 1000);
  }

  document.addEventListener("console", function (e) {
    var data = e.detail.data;
    if (data && typeof data.seq === "number") seen = Math.max(seen || 0, data.seq);
    if (WATCHED.indexOf(e.detail.name) >= 0) soon();
  });
  setInterval(soon, 30000);
  if (wall) cycle();
})();
