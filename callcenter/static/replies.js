/* Canned responses in a ticket's reply (templates/replies/_picker.html).
 *
 * Two ways in, one way out:
 *  - in the reply box, type "/" and a shortcut word (at the start of a line or after a space):
 *    the matching responses show under the box while it keeps the focus; Up/Down choose,
 *    Tab or Enter insert, Escape closes (and Enter then makes a new line as usual);
 *  - the "Canned responses" button, or Ctrl+/ in the reply box: a list to search; Up/Down,
 *    Enter inserts, Escape goes back to the reply.
 * Either way the response (its placeholders filled by the server for this ticket and agent)
 * goes in at the caret, or in place of the "/word" typed, and the caret lands after it in the
 * reply box. Several can go into one reply. No inline script or style: the page's CSP holds.
 */
(function () {
  "use strict";

  var TOKEN = /(^|\s)([\/\uFF0F])([\p{L}\p{N}_-]*)$/u; // "/" or a full-width "／", then the word typed so far

  function setup(root) {
    var form = root.closest("form");
    var textarea = form && form.querySelector("textarea[name=body]");
    if (!textarea) { return; }
    var button = root.querySelector("[data-canned-open]");
    var popup = root.querySelector("[data-canned-popup]");
    var search = root.querySelector("[data-canned-search]");
    var list = root.querySelector("[data-canned-list]");
    var items = null, loading = null, failed = false;
    var mode = null; // null (closed), "inline" (the "/word" in the reply), "search" (the button's list)
    var shown = [], active = 0, range = null, token = null, dismissedAt = -1, inserting = false;

    function load() {
      if (items) { return Promise.resolve(items); }
      if (!loading) {
        loading = fetch(root.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
          .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
          .then(function (data) { items = data.items || []; failed = false; return items; })
          .catch(function () { failed = true; loading = null; return []; });
      }
      return loading;
    }

    function tokenBeforeCaret() {
      if (textarea.selectionStart !== textarea.selectionEnd) { return null; }
      var caret = textarea.selectionStart;
      var m = TOKEN.exec(textarea.value.slice(0, caret));
      if (!m) { return null; }
      return {start: caret - m[2].length - m[3].length, end: caret, word: m[3].toLowerCase()};
    }

    function filtered() {
      var all = items || [];
      if (mode === "inline") {
        var word = token ? token.word : "";
        var exact = all.filter(function (i) { return i.shortcut === word; });
        var rest = all.filter(function (i) { return i.shortcut !== word && i.shortcut.indexOf(word) === 0; });
        return exact.concat(rest);
      }
      var q = (search.value || "").trim().toLowerCase().replace(/^[\/\uFF0F]/, "");
      if (!q) { return all.slice(); }
      return all.filter(function (i) {
        return i.shortcut.indexOf(q) === 0 || i.title.toLowerCase().indexOf(q) >= 0 ||
          i.body.toLowerCase().indexOf(q) >= 0;
      });
    }

    function optionId(n) { return popup.id + "-option-" + n; }

    function draw() {
      shown = filtered();
      if (active >= shown.length) { active = 0; }
      list.textContent = "";
      if (!shown.length) {
        if (mode === "inline") { hide(); return; }
        var none = document.createElement("li");
        none.className = "muted canned-none";
        none.textContent = failed ? root.dataset.failed : root.dataset.empty;
        list.appendChild(none);
      }
      shown.forEach(function (item, n) {
        var li = document.createElement("li");
        li.id = optionId(n);
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", n === active ? "true" : "false");
        li.dataset.cannedOption = String(item.id);
        li.dataset.shortcut = item.shortcut;
        li.lang = item.language === "zh" ? "zh-CN" : "en";
        var head = document.createElement("span");
        head.className = "canned-head";
        var title = document.createElement("strong");
        title.textContent = item.title;
        var code = document.createElement("code");
        code.textContent = "/" + item.shortcut;
        var where = document.createElement("span");
        where.className = "muted";
        where.dataset.cannedLanguage = item.language;
        where.textContent = item.language_label + " · " + item.scope_label;  // the language in the page's words
        head.append(title, " ", code, " ", where);
        var body = document.createElement("span");
        body.className = "canned-preview";
        body.textContent = item.body;
        li.append(head, body);
        if (item.missing && item.missing.length) {
          var note = document.createElement("span");
          note.className = "canned-missing";
          note.textContent = root.dataset.missing.replace("%(names)s",
            item.missing.map(function (n) { return "{" + n + "}"; }).join(", "));
          li.appendChild(note);
        }
        // mousedown, not click: the reply box (or the search) keeps the focus until the insert.
        li.addEventListener("mousedown", function (e) { e.preventDefault(); insert(item); });
        list.appendChild(li);
      });
      popup.hidden = false;
      button.setAttribute("aria-expanded", "true");
      var owner = mode === "inline" ? textarea : search;
      if (shown.length) { owner.setAttribute("aria-activedescendant", optionId(active)); }
      else { owner.removeAttribute("aria-activedescendant"); }
      var current = document.getElementById(optionId(active));
      if (current && current.scrollIntoView) { current.scrollIntoView({block: "nearest"}); }
    }

    function hide() {
      popup.hidden = true;
      button.setAttribute("aria-expanded", "false");
      textarea.removeAttribute("aria-activedescendant");
      search.removeAttribute("aria-activedescendant");
    }

    function close() { mode = null; token = null; hide(); }

    function move(by) {
      if (!shown.length) { return; }
      active = (active + by + shown.length) % shown.length;
      draw();
    }

    function insert(item) {
      var at = mode === "inline" && token ? {start: token.start, end: token.end} : (range || {
        start: textarea.selectionStart, end: textarea.selectionEnd});
      close();
      inserting = true;
      textarea.focus();
      textarea.setSelectionRange(at.start, at.end);
      var before = textarea.value;
      var done = false;
      try { done = document.execCommand("insertText", false, item.body); } catch (e) { done = false; }
      if (!done || textarea.value === before) { // no execCommand here: insert by hand (no undo step)
        textarea.setRangeText(item.body, at.start, at.end, "end");
        textarea.dispatchEvent(new Event("input", {bubbles: true}));
      }
      var caret = at.start + item.body.length;
      textarea.setSelectionRange(caret, caret);
      inserting = false;
      range = null;
    }

    function openInline() {
      mode = "inline";
      active = 0;
      if (items) { draw(); } else { load().then(function () { if (mode === "inline") { draw(); } }); }
    }

    function openSearch() {
      range = {start: textarea.selectionStart, end: textarea.selectionEnd};
      mode = "search";
      token = null;
      active = 0;
      search.value = "";
      popup.hidden = false;
      draw();
      search.focus();
      load().then(function () { if (mode === "search") { draw(); } });
    }

    function backToReply() {
      var at = range;
      close();
      textarea.focus();
      if (at) { textarea.setSelectionRange(at.start, at.end); }
      range = null;
    }

    textarea.addEventListener("focus", load, {once: true});

    textarea.addEventListener("input", function () {
      if (inserting) { return; }
      token = tokenBeforeCaret();
      if (!token) { dismissedAt = -1; if (mode === "inline") { close(); } return; }
      if (token.start === dismissedAt) { return; }
      openInline();
    });

    textarea.addEventListener("keydown", function (e) {
      if (e.isComposing || e.keyCode === 229) { return; } // an IME is composing: Enter is its own
      if (e.ctrlKey && !e.altKey && !e.metaKey && (e.key === "/" || e.code === "Slash")) {
        e.preventDefault();
        openSearch();
        return;
      }
      if (mode !== "inline") {
        if ((e.key === "Tab" || e.key === "Enter") && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey) {
          var t = tokenBeforeCaret();
          if (t && t.word && t.start !== dismissedAt && !items) {
            // typed faster than the list arrived: wait for it, then insert (or do what the key does)
            e.preventDefault();
            var key = e.key;
            load().then(function () {
              token = t;
              mode = "inline";
              var exact = (items || []).filter(function (i) { return i.shortcut === t.word; })[0];
              if (exact) { insert(exact); } else { close(); if (key === "Enter") { textarea.setRangeText("\n", t.end, t.end, "end"); } }
            });
          }
        }
        return;
      }
      if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
      else if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey && shown.length) {
        e.preventDefault();
        insert(shown[active]);
      } else if (e.key === "Escape") {
        e.preventDefault();
        dismissedAt = token ? token.start : -1;
        close();
      }
    });

    textarea.addEventListener("blur", function () { if (mode === "inline") { close(); } });

    button.addEventListener("click", function () {
      if (mode === "search") { backToReply(); } else { openSearch(); }
    });

    search.addEventListener("input", function () { active = 0; draw(); });
    search.addEventListener("keydown", function (e) {
      if (e.isComposing || e.keyCode === 229) { return; }
      if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
      else if (e.key === "Enter") { e.preventDefault(); if (shown.length) { insert(shown[active]); } }
      else if (e.key === "Escape" || (e.ctrlKey && (e.key === "/" || e.code === "Slash"))) {
        e.preventDefault();
        backToReply();
      }
    });

    root.addEventListener("focusout", function (e) {
      if (mode === "search" && e.relatedTarget && !root.contains(e.relatedTarget) && e.relatedTarget !== textarea) {
        close();
      }
    });

    load();
  }

  document.querySelectorAll("[data-canned-picker]").forEach(setup);
})();
