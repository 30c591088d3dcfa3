// The staff pages' live link to /console. It redraws the parts of a page that events change
// (server-rendered fragments, fetched with htmx), says when the page is offline and catches up
// on reconnect, shows who else has a ticket open, and keeps reply drafts in the browser.
(function () {
  var body = document.body;
  if (!body.dataset.console || typeof io === "undefined") return;
  // A translated sentence with a value put in: split/join, so "$&" in a name stays as typed.
  function fill(template, name, value) { return template.split("%(" + name + ")s").join(String(value)); }
  var me = body.dataset.userId;
  var banner = document.getElementById("live-banner");
  var text = banner.querySelector("[data-text]");
  var state = document.getElementById("live-state");
  var here = body.dataset.ticketId ? parseInt(body.dataset.ticketId, 10) : null;
  var lastSeq = null;
  var wasOffline = false;

  // A page that redraws itself needs no "something changed" banner; messages for this person
  // alone (an offer) still show.
  function show(message, personal) {
    if (body.dataset.quiet && !personal) return;
    text.textContent = message;
    banner.hidden = false;
  }

  function setState(name, message) {
    if (!state) return;
    state.dataset.state = name;
    state.textContent = message || state.dataset[name === "online" ? "online" : "offline"];
  }

  // Redraw a fragment in place (id = the element to replace, its data-url/data-queue-url the
  // source), at most once per burst of events.
  // At most one redraw of a part in flight, and at most one waiting (a steady stream of events
  // redraws every 200 ms, never postponed for ever).
  var timers = {}, inFlight = {}, again = {}, carried = {};
  function redraw(id) {
    if (inFlight[id]) { again[id] = true; return; }
    if (timers[id]) return;
    timers[id] = setTimeout(function () {
      timers[id] = null;
      var el = document.getElementById(id);
      if (!el || typeof htmx === "undefined") return;
      inFlight[id] = true;
      htmx.ajax("GET", el.dataset.queueUrl || el.dataset.url, { target: "#" + id, swap: "outerHTML" })
        .then(function () { restore(id); }, function () {})
        .then(function () {
          inFlight[id] = false;
          if (again[id]) { again[id] = false; redraw(id); }
        });
    }, 200);
  }
  // What the person was doing in a part is carried over its redraw: ticked boxes (the bulk
  // bar's choice, ticked up to the moment of the swap) and the focus.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var target = e.detail.target;
    var landed = e.detail.xhr && e.detail.xhr.responseURL ? new URL(e.detail.xhr.responseURL).pathname : "";
    if (landed === "/login") {  // the session ended: the whole page says so, not a fragment
      e.detail.shouldSwap = false;
      window.location.reload();
      return;
    }
    var active = document.activeElement;
    carried[target.id] = {
      ticked: Array.prototype.map.call(target.querySelectorAll("input[type=checkbox]:checked"),
                                       function (box) { return box.value; }),
      focus: active && target.contains(active) ? (active.getAttribute("href") || active.value || null) : null,
    };
  });
  function restore(id) {
    var fresh = document.getElementById(id), kept = carried[id];
    if (fresh && kept) {
      kept.ticked.forEach(function (value) {
        var box = fresh.querySelector("input[type=checkbox][value='" + value + "']");
        if (box) box.checked = true;
      });
      if (kept.focus) {
        var again = Array.prototype.find.call(fresh.querySelectorAll("a, input"), function (node) {
          return (node.getAttribute("href") || node.value) === kept.focus;
        });
        if (again) again.focus();
      }
    }
    delete carried[id];
    document.dispatchEvent(new CustomEvent("console:redrawn", { detail: { id: id } }));
  }

  function resync() {
    // State afresh: every live part of this page, then the pages' own listeners.
    if (document.getElementById("queue")) redraw("queue");
    if (document.getElementById("conversation")) redraw("conversation");
    document.dispatchEvent(new CustomEvent("console", { detail: { name: "resync", data: {} } }));
  }

  var socket = io("/console", { transports: ["websocket", "polling"] });
  // Pages that redraw themselves listen for "console" DOM events instead of a second socket.
  socket.onAny(function (name, data) {
    if (name !== "hello" && data && typeof data.seq === "number") lastSeq = Math.max(lastSeq || 0, data.seq);
    document.dispatchEvent(new CustomEvent("console", { detail: { name: name, data: data } }));
  });
  socket.on("connect", function () {
    body.dataset.live = "on";
    document.dispatchEvent(new CustomEvent("console", { detail: { name: "connect", data: {} } }));
    if (here !== null) socket.emit("ticket.view", { ticket_id: here });
  });
  socket.on("disconnect", function () {
    body.dataset.live = "off";
    wasOffline = true;
    setState("offline");
    document.dispatchEvent(new CustomEvent("console", { detail: { name: "disconnect", data: {} } }));
  });
  // A heartbeat: this page is still open, so its agent is not "gone" (agents/consoles.py).
  setInterval(function () { if (socket.connected) socket.emit("console_alive"); }, 20000);
  // Signing out leaves no draft behind on a shared workstation.
  var signOut = document.querySelector("form.logout");
  if (signOut) signOut.addEventListener("submit", function () {
    Object.keys(localStorage).filter(function (k) { return k.indexOf("draft:") === 0; })
      .forEach(function (k) { localStorage.removeItem(k); });
  });
  var firstHello = true;
  socket.on("hello", function (data) {
    body.dataset.seq = data.seq;
    if (firstHello && body.dataset.renderedSeq && data.seq > parseInt(body.dataset.renderedSeq, 10)) {
      resync();  // something happened between the page being drawn and the socket connecting
    }
    firstHello = false;
    if (wasOffline) {
      // Events may have been missed while offline (the sequence moved on past the last one
      // heard): the live parts are fetched afresh from the server.
      if (lastSeq === null || data.seq > lastSeq) resync();
      setState("online", state && state.dataset.caughtUp);
      body.dataset.caughtUp = String(data.seq);
      wasOffline = false;
    } else {
      setState("online");
    }
    lastSeq = Math.max(lastSeq || 0, data.seq);
  });

  // ---- the console's queue: redrawn on anything that may change it
  var queueEvents = ["ticket.updated", "ticket.assigned", "ticket.message", "ticket.offered", "sla.warning",
                     "sla.breached", "callback.due", "followup.updated", "presence.changed"];
  if (document.getElementById("queue")) {
    queueEvents.forEach(function (name) { socket.on(name, function () { redraw("queue"); }); });
  }

  // ---- new work for me: a sound and a browser notification, if allowed
  function alertNewWork(title) {
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)();
      var beep = audio.createOscillator();
      beep.frequency.value = 880;
      beep.connect(audio.destination);
      beep.start();
      beep.stop(audio.currentTime + 0.15);
    } catch (e) { /* no sound before the first click: browsers' rule */ }
    if (window.Notification && Notification.permission === "granted") new Notification(title);
    body.dataset.newWork = String((parseInt(body.dataset.newWork || "0", 10)) + 1);
  }
  // The notification's title in the page's words (base.html's data-new-work-title); the
  // subject goes in last, so a "%(reference)s" typed in it stays as typed.
  function newWorkTitle(data) {
    var words = body.dataset.newWorkTitle || "%(reference)s · %(subject)s";
    return fill(fill(words, "reference", data.reference), "subject", data.subject);
  }
  socket.on("ticket.assigned", function (data) {
    if (String(data.assignee_id) === me) alertNewWork(newWorkTitle(data));
  });
  socket.on("ticket.offered", function (data) {
    if (String(data.agent_id) === me) {
      alertNewWork(newWorkTitle(data));
      show(fill(banner.dataset.offer, "reference", data.reference), true);
    }
  });
  var allow = document.querySelector("[data-allow-notifications]");
  if (allow && window.Notification && Notification.permission === "default") {
    allow.hidden = false;
    allow.addEventListener("click", function () {
      Notification.requestPermission().then(function () { allow.hidden = true; });
    });
  }

  // ---- offers count down to their deadline; SLA clocks to theirs (and past it)
  function clock(seconds) {
    var s = Math.abs(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(r).padStart(2, "0");
  }
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Math.max(0, Math.round((Date.parse(el.dataset.countdown) - Date.now()) / 1000));
      el.textContent = "· " + left + " " + el.dataset.suffix;
    });
    document.querySelectorAll("[data-sla-due]").forEach(function (el) {
      var left = Math.round((Date.parse(el.dataset.slaDue) - Date.now()) / 1000);
      var words = left >= 0 ? body.dataset.timeLeft : body.dataset.timeOver;
      el.textContent = "(" + fill(words, "time", clock(left)) + ")";
      el.dataset.over = left < 0 ? "1" : "0";
    });
  }
  tick();
  setInterval(tick, 1000);

  // ---- the ticket page: the conversation redraws, a status change says so
  if (here !== null) {
    socket.on("ticket.message", function (data) { if (data.ticket_id === here) redraw("conversation"); });
    ["ticket.updated", "ticket.assigned"].forEach(function (name) {
      socket.on(name, function (data) {
        if (data.ticket_id !== here) return;
        redraw("conversation");
        show(banner.dataset.thisTicket);
      });
    });
    window.addEventListener("pagehide", function () { socket.emit("ticket.leave", { ticket_id: here }); });
  }
  ["sla.warning", "sla.breached"].forEach(function (name) {
    socket.on(name, function (data) {
      var words = banner.dataset[name === "sla.breached" ? "breached" : "warning"];
      show(fill(words, "reference", data.reference));
    });
  });

  // ---- who else is here (ticket.viewers), and who is typing
  var viewersEl = document.getElementById("viewers");
  socket.on("ticket.viewers", function (data) {
    if (!viewersEl || data.ticket_id !== here) return;
    var others = data.viewers.filter(function (v) { return String(v.id) !== me; });
    var typing = others.filter(function (v) { return v.typing; });
    viewersEl.hidden = others.length === 0;
    viewersEl.dataset.count = String(others.length);
    var line = fill(viewersEl.dataset.also, "names", others.map(function (v) { return v.name; }).join(", "));
    if (typing.length) line += " · " + fill(viewersEl.dataset.typing, "name", typing.map(function (v) { return v.name; }).join(", "));
    viewersEl.textContent = line;
  });

  // ---- the reply box: typing is told, the draft is kept until sent
  var form = document.getElementById("reply-form");
  if (form) {
    var box = form.querySelector("textarea[name=body]");
    var seen = form.querySelector("input[name=seen_event_id]");
    var key = form.dataset.draftKey;
    var internal = form.querySelector("input[name=internal]");
    var typingNow = false, idle = null, saveTimer = null;
    // A draft is its words and whether it is an internal note: a restored note must not go
    // out as a reply to the customer.
    function saved() {
      try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
    }
    function save() {
      if (box.value) localStorage.setItem(key, JSON.stringify({ body: box.value, internal: !!(internal && internal.checked) }));
      else localStorage.removeItem(key);
    }
    var draft = saved();
    if (location.hash === "#sent") {
      localStorage.removeItem(key);
      history.replaceState(null, "", location.pathname + location.search);
    } else if (box && !box.value && draft && draft.body) {
      box.value = draft.body;
      if (internal) internal.checked = !!draft.internal;
      form.dataset.restored = "1";
      var note = form.querySelector("[data-restored-note]");
      if (note) note.hidden = false;
    }
    function tellTyping(on) {
      if (typingNow === on || here === null) return;
      typingNow = on;
      socket.emit("ticket.typing", { ticket_id: here, typing: on });
    }
    if (box) {
      box.addEventListener("input", function () {
        tellTyping(box.value.length > 0);
        clearTimeout(idle);
        idle = setTimeout(function () { tellTyping(false); }, 5000);
        clearTimeout(saveTimer);
        saveTimer = setTimeout(save, 300);
      });
      if (internal) internal.addEventListener("change", save);
    }
    form.addEventListener("submit", function () {
      if (box) save();
      tellTyping(false);
    });
    // While nothing is written, the draft begins at what the page shows now.
    document.addEventListener("console:redrawn", function (e) {
      var conv = document.getElementById("conversation");
      if (e.detail.id === "conversation" && conv && box && !box.value) seen.value = conv.dataset.latestEventId;
    });
  }
})();

// ---- the screen pop: a call ringing at this agent (POST /api/v1/calls -> call.screen_pop)
(function () {
  var pop = document.getElementById("screen-pop");
  if (!pop) return;
  // A translated sentence with a value put in: split/join, so "$&" in a name stays as typed.
  function fill(template, name, value) { return template.split("%(" + name + ")s").join(String(value)); }
  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function url(template, id) { return template.replace(/0(\/?)$/, id + "$1"); }
  document.addEventListener("console", function (e) {
    if (e.detail.name !== "call.screen_pop") return;
    var data = e.detail.data, d = pop.dataset;
    pop.replaceChildren();
    pop.dataset.callId = data.call_id;
    pop.appendChild(el("h2", fill(d.title, "caller", data.caller)));
    var newTicket = el("a", d.new, { href: d.phoneUrl + "?call=" + data.call_id, "class": "button secondary",
                                     "data-pop-new": "" });
    if (!data.matches.length) {
      pop.appendChild(el("p", d.none));
    } else {
      if (data.matches.length > 1) pop.appendChild(el("p", d.several));
      var list = el("ul", null, { "class": "pop-matches" });
      data.matches.forEach(function (m) {
        var item = el("li", null, { "data-customer-id": m.customer.id });
        item.appendChild(el("a", m.customer.name, { href: url(d.customerUrl, m.customer.id) }));
        var tierWords = d["tier" + m.customer.tier.charAt(0) + m.customer.tier.slice(1).toLowerCase()] || m.customer.tier;
        item.appendChild(document.createTextNode(" "));
        item.appendChild(el("span", tierWords, { "class": "tier", "data-tier": m.customer.tier }));
        if (!m.open_tickets.length && !m.other_open_tickets) item.appendChild(el("span", " · " + d.noOpen, { "class": "muted" }));
        if (m.other_open_tickets) {
          item.appendChild(el("span", " · " + fill(d.otherOpen, "n", m.other_open_tickets),
                              { "class": "muted", "data-other-open": m.other_open_tickets }));
        }
        m.open_tickets.forEach(function (t) {
          item.appendChild(document.createTextNode(" · "));
          item.appendChild(el("a", t.reference + " " + t.subject, { href: url(d.ticketUrl, t.id), "data-pop-ticket": t.id }));
        });
        list.appendChild(item);
      });
      pop.appendChild(list);
      // One click to the most recent open ticket when the caller is not in doubt.
      var only = data.matches.length === 1 ? data.matches[0] : null;
      if (only && only.open_tickets.length) {
        var t = only.open_tickets[0];
        pop.appendChild(el("a", fill(d.open, "reference", t.reference), { href: url(d.ticketUrl, t.id),
                                                                               "class": "button", "data-pop-open": "" }));
      }
    }
    pop.appendChild(newTicket);
    var close = el("button", d.close, { type: "button", "class": "secondary" });
    close.addEventListener("click", function () { pop.hidden = true; });
    pop.appendChild(close);
    pop.hidden = false;
    var first = pop.querySelector("[data-pop-open]") || newTicket;
    first.focus();
  });
})();

// ---- keyboard: single keys outside text fields (none clashes with the browser's own, which
// all take Ctrl, Alt or Cmd), listed in the help overlay (?).
(function () {
  var help = document.getElementById("keys-help");
  if (!help) return;
  function typingInField(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }
  function go(selector) { var el = document.querySelector(selector); if (el) { el.click(); return true; } return false; }
  function focus(selector) { var el = document.querySelector(selector); if (el) { el.focus(); return true; } return false; }
  document.addEventListener("keydown", function (e) {
    var reply = document.querySelector("#reply-form textarea[name=body]");
    if (e.isComposing || e.keyCode === 229) return;  // an input method is composing (pinyin)
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target === reply) {
      e.preventDefault();
      reply.form.requestSubmit();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || typingInField(e.target) || help.open) return;
    var done = false;
    if (e.key === "?") { help.showModal(); done = true; }
    else if (e.key === "n") { window.location.href = document.body.dataset.nextUrl; done = true; }
    else if (e.key === "/") done = focus("form.filters input[type=search]");
    else if (e.code === "KeyR" && !e.shiftKey) done = focus("#reply-form textarea[name=body]");
    else if (e.key === "i") {
      var box = document.querySelector("#reply-form input[name=internal]");
      if (box) { box.checked = true; done = focus("#reply-form textarea[name=body]"); }
    }
    else if (e.code === "KeyR" && e.shiftKey) done = go("form.transition[data-to=resolved] button");
    if (done) e.preventDefault();
  });
})();
