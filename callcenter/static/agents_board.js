// The agents board redraws its rows and summary from the server when console.js's socket says
// something they show changed (its "console" DOM events: no second connection), debounced; after
// a reconnect (what changed meanwhile); and every minute (the time each agent has been in their
// state). Never while the supervisor is choosing in one of the row forms: a note says the board
// changed, and it is drawn once they send or clear their choice. Without script the page is plain
// forms and works the same.
(function () {
  var rows = document.getElementById("agents-rows");
  if (!rows || !rows.dataset.rowsUrl) return;
  var summary = document.getElementById("agents-summary");
  var stale = document.getElementById("agents-stale");
  var WATCHED = ["presence.changed", "ticket.assigned", "ticket.updated", "ticket.offered",
                 "followup.updated", "callback.due"];
  var timer = null, inflight = false, again = false, connects = 0, pending = false;

  // Busy: focus is in a row form, or one of them holds a choice not yet sent.
  function busy() {
    var active = document.activeElement;
    if (active && active !== rows && rows.contains(active) && active.closest && active.closest("form")) return true;
    var changed = Array.prototype.some.call(rows.querySelectorAll("select[data-current]"),
      function (s) { return s.value !== s.dataset.current; });
    return changed || rows.querySelector("input[type=checkbox]:checked") !== null;
  }

  function markStale() {
    pending = true;
    if (stale) stale.hidden = false;
  }

  function redraw() {
    timer = null;
    if (busy()) { markStale(); return; }
    if (inflight) { again = true; return; }
    inflight = true;
    fetch(rows.dataset.rowsUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        // Signed out, or no longer a supervisor: show that page itself, never inside the table.
        if (r.redirected || r.status === 401 || r.status === 403) { window.location.reload(); throw new Error("signed out"); }
        if (!r.ok) throw new Error(String(r.status));
        return r.text();
      })
      .then(function (html) {
        if (busy()) { markStale(); return; }
        var fresh = document.createElement("template");
        fresh.innerHTML = html;
        var body = fresh.content.querySelector("#agents-rows");
        var counts = fresh.content.querySelector("#agents-summary");
        if (!body) throw new Error("no rows");
        rows.innerHTML = body.innerHTML;
        if (summary && counts) summary.innerHTML = counts.innerHTML;
        pending = false;
        if (stale) stale.hidden = true;
        document.body.dataset.stale = "";
        rows.dataset.redraws = String(parseInt(rows.dataset.redraws || "0", 10) + 1);
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

  // The supervisor left a form with nothing chosen in it (or put the choice back): draw what
  // changed meanwhile.
  function maybeCatchUp() {
    setTimeout(function () { if (pending && !busy()) soon(); }, 0);
  }
  rows.addEventListener("focusout", maybeCatchUp);
  rows.addEventListener("change", maybeCatchUp);

  document.addEventListener("console", function (e) {
    var name = e.detail && e.detail.name;
    if (name === "connect") {
      connects += 1;
      if (connects > 1) soon();  // back after a break
      return;
    }
    if (WATCHED.indexOf(name) >= 0) soon();
  });
  setInterval(soon, 60000);
})();
