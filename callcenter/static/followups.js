// Follow-ups live, on console.js's socket (its "console" DOM events, not a second connection):
// a callback or revisit that becomes this person's work shows a notice with the number to call
// on every staff page; on the follow-ups page the lists are drawn again from the server. Never
// while the agent is typing in one of its forms: then a note says to refresh, and nothing typed
// is lost. Without script the page is plain forms and works the same.
(function () {
  var body = document.body;
  var notice = document.getElementById("callback-notice");
  var lists = document.getElementById("followup-lists");
  var stale = document.getElementById("followups-stale");
  if (!notice && !lists) return;
  var timer = null, inflight = false, again = false, connects = 0;

  // Busy: the agent is in one of the forms, or has typed or chosen something in one.
  function typing() {
    if (!lists) return false;
    if (lists.contains(document.activeElement) && document.activeElement !== lists) return true;
    return Array.prototype.some.call(lists.querySelectorAll("textarea, input[type=text]"),
      function (f) { return !f.readOnly && f.value.trim() !== ""; }) ||
      lists.querySelector("input[type=radio]:checked") !== null;
  }

  function showDue(data) {
    if (!notice) return;
    var words = data.kind === "revisit" ? notice.dataset.dueRevisit : notice.dataset.due;
    notice.querySelector("[data-text]").textContent = words
      .replace("%(phone)s", data.phone || "").replace("%(name)s", data.name || "—");
    notice.dataset.followupId = String(data.followup_id);
    notice.dataset.phone = data.phone || "";
    notice.hidden = false;
  }

  function redraw() {
    timer = null;
    if (typing()) {  // the agent's words come first: they refresh when they are ready
      if (stale) stale.hidden = false;
      return;
    }
    if (inflight) { again = true; return; }
    inflight = true;
    fetch(lists.dataset.listsUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        // Signed out: show the sign-in page itself, never inside the lists.
        if (r.redirected || r.status === 401 || r.status === 403) { window.location.reload(); throw new Error("signed out"); }
        if (!r.ok) throw new Error(String(r.status));
        return r.text();
      })
      .then(function (html) {
        if (typing()) { if (stale) stale.hidden = false; return; }
        lists.innerHTML = html;
        lists.dataset.redraws = String(parseInt(lists.dataset.redraws || "0", 10) + 1);
      })
      .catch(function () { if (stale) stale.hidden = false; })
      .finally(function () {
        inflight = false;
        if (again) { again = false; soon(); }
      });
  }

  function soon() {
    if (lists && timer === null) timer = setTimeout(redraw, 300);
  }

  if (lists) {  // left the forms with nothing in them: what changed meanwhile is drawn now
    lists.addEventListener("focusout", function () {
      setTimeout(function () { if (stale && !stale.hidden && !typing()) { stale.hidden = true; soon(); } }, 0);
    });
  }

  document.addEventListener("console", function (e) {
    var name = e.detail.name, data = e.detail.data || {};
    if (name === "connect") {
      connects += 1;
      if (connects > 1) soon();  // back after a break: what changed meanwhile
      return;
    }
    if (name === "callback.due" && String(data.assignee_id) === body.dataset.userId) {
      showDue(data);
      soon();
    } else if (name === "followup.updated" || name === "callback.due") {
      soon();
    }
  });
})();
