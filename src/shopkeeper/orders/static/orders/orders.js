// Orders: live list (server-sent events), keyboard, bulk selection, line editor helpers.
(function () {
  "use strict";

  // --- live list ---------------------------------------------------------------------------
  function startLive() {
    var table = document.querySelector("table.sk-orders");
    if (!table || !window.EventSource) return;
    var badge = document.getElementById("sk-live-badge");
    var delay = 2000;
    connect();

    // EventSource reconnects by itself after a dropped connection, but gives up for good after an
    // HTTP error (a 500 or a 502 during a deploy): then try again ourselves, backing off to a minute.
    function connect() {
      var source = new EventSource(table.dataset.liveUrl);
      source.addEventListener("open", function () { delay = 2000; if (badge) badge.classList.remove("d-none"); });
      source.addEventListener("error", function () {
        if (badge) badge.classList.add("d-none");
        if (source.readyState === EventSource.CLOSED) {
          setTimeout(connect, delay);
          delay = Math.min(delay * 2, 60000);
        }
      });
      source.addEventListener("orders", onOrders);
    }
  }

  function onOrders(event) {
    var ids = JSON.parse(event.data).ids || [];
    if (!ids.length) return;
    var current = document.querySelector("table.sk-orders");
    if (!current) return;
    var url = current.dataset.rowsUrl + "&ids=" + ids.join(",");
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) return "";
        updateCounts(r.headers.get("X-Group-Counts"));
        return r.text();
      })
      .then(function (html) {
        if (!html.trim()) return;
        var tbody = document.getElementById("sk-order-rows");
        var tmp = document.createElement("tbody");
        tmp.innerHTML = html;
        Array.prototype.slice.call(tmp.querySelectorAll("tr[data-order-id]")).reverse().forEach(function (row) {
          var existing = tbody.querySelector('tr[data-order-id="' + row.dataset.orderId + '"]');
          if (existing) existing.replaceWith(row); else tbody.insertBefore(row, tbody.firstChild);
          row.classList.add("sk-highlight");
        });
        window.shopkeeper.bind(tbody);
        var empty = document.querySelector("[data-testid=no-orders]");
        if (empty) empty.remove();
      });
  }

  function updateCounts(header) {
    var counts;
    try { counts = JSON.parse(header || "null"); } catch (e) { return; }
    if (!counts) return;
    var format = new Intl.NumberFormat(document.documentElement.lang || undefined);
    Object.keys(counts).forEach(function (code) {
      var badge = document.querySelector('[data-testid=group-counters] [data-group="' + CSS.escape(code) + '"] .badge');
      if (badge) badge.textContent = format.format(counts[code]);
    });
  }

  // --- keyboard ----------------------------------------------------------------------------
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.sk-order-row")); }
  var cursor = -1;
  function focusRow(i) {
    var all = rows();
    if (!all.length) return;
    cursor = Math.max(0, Math.min(i, all.length - 1));
    all.forEach(function (r) { r.classList.remove("table-active"); });
    all[cursor].classList.add("table-active");
    all[cursor].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      var form = event.target.form;
      if (form) { event.preventDefault(); form.requestSubmit(); }
      return;
    }
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) {
      if (event.key === "Escape" && event.target.blur) event.target.blur();
      return;
    }
    if (event.key === "/") {
      var search = document.getElementById("sk-q");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (event.key === "j" || event.key === "ArrowDown") {
      if (rows().length) { event.preventDefault(); focusRow(cursor + 1); }
    } else if (event.key === "k" || event.key === "ArrowUp") {
      if (rows().length) { event.preventDefault(); focusRow(cursor - 1); }
    } else if (event.key === "Enter" && cursor >= 0) {
      var row = rows()[cursor];
      if (row) window.location = row.dataset.href;
    } else if (event.key === "x" && cursor >= 0) {
      var box = rows()[cursor].querySelector("input[type=checkbox]");
      if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
    } else if (event.key === "Escape" || event.key === "Backspace") {
      var back = document.querySelector("[data-testid=back]");
      if (back) window.location = back.href;
    }
  });

  // --- bulk selection ----------------------------------------------------------------------
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "sk-select-all") {
      document.querySelectorAll("input[name=ids]").forEach(function (b) { b.checked = target.checked; });
    }
    if (target.id === "sk-select-all" || target.name === "ids") {
      var n = document.querySelectorAll("input[name=ids]:checked").length;
      var bar = document.getElementById("sk-bulk-bar");
      if (bar) bar.classList.toggle("d-none", n === 0);
      var count = document.getElementById("sk-bulk-count");
      if (count) count.textContent = String(n);
    }
  });

  // Clicking a row (not a link or checkbox) opens the order.
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("tr.sk-order-row");
    if (!row || event.target.closest("a, input, button, label")) return;
    window.location = row.dataset.href;
  });

  // --- offer autocomplete for lines --------------------------------------------------------
  var timer = null;
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input.dataset && input.dataset.offerSearch !== undefined && input.dataset.offerSearch) {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (input.value.trim().length < 2) return;
        var url = input.dataset.offerSearch + (input.dataset.offerSearch.indexOf("?") >= 0 ? "&" : "?") + "q=" + encodeURIComponent(input.value.trim());
        fetch(url, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
          var list = document.getElementById("sk-offers");
          if (list) list.innerHTML = html;
          var row = input.closest("tr");
          var hints = row && row.querySelector("[data-offer-hints]");
          var match = list && Array.prototype.find.call(list.options, function (o) { return o.value === input.value.trim(); });
          if (hints) hints.textContent = match ? match.textContent : "";
        });
      }, 200);
    }
    if (input.name === "phone") lookupCustomer(input);
  });

  var lookupTimer = null;
  function lookupCustomer(input) {
    var box = document.getElementById("sk-customer-matches");
    if (!box) return;
    clearTimeout(lookupTimer);
    lookupTimer = setTimeout(function () {
      fetch(box.dataset.lookupUrl + "?phone=" + encodeURIComponent(input.value), { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) { box.innerHTML = html; });
    }, 250);
  }

  document.addEventListener("click", function (event) {
    var pick = event.target.closest && event.target.closest("[data-pick-customer]");
    if (pick) {
      var form = pick.closest("form");
      form.querySelector("[name=customer_id]").value = pick.dataset.pickCustomer;
      form.querySelector("[name=first_name]").value = pick.dataset.first || "";
      form.querySelector("[name=last_name]").value = pick.dataset.last || "";
      form.querySelector("[name=email]").value = pick.dataset.email || "";
      pick.parentElement.querySelectorAll(".active").forEach(function (el) { el.classList.remove("active"); });
      pick.classList.add("active");
    }
    var add = event.target.closest && event.target.closest("[data-add-line]");
    if (add) {
      var body = document.querySelector(add.dataset.addLine);
      var last = body.querySelector("tr:last-child");
      var copy = last.cloneNode(true);
      copy.querySelectorAll("input").forEach(function (i) { i.value = i.name === "new-quantity" ? "1" : ""; });
      copy.querySelectorAll("[data-offer-hints]").forEach(function (h) { h.textContent = ""; });
      body.appendChild(copy);
      copy.querySelector("input").focus();
    }
  });

  if (document.readyState !== "loading") startLive(); else document.addEventListener("DOMContentLoaded", startLive);
})();
