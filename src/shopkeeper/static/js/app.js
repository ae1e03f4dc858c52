// Shopkeeper UI behaviour. No inline scripts anywhere: the Content Security Policy forbids them.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // Whether dark text contrasts more than white with this "#rrggbb" colour (WCAG relative luminance:
  // above 0.21 the body colour #212529 wins).
  function isLight(hex) {
    var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || "");
    if (!m) return false;
    var l = [m[1], m[2], m[3]].map(function (h) {
      var c = parseInt(h, 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2] > 0.21;
  }

  function bind(root) {
    // Status badges take their status's colour (set in Settings; an inline style would break the CSP).
    root.querySelectorAll(".sk-status[data-color]").forEach(function (el) {
      el.style.backgroundColor = el.dataset.color;
      el.style.color = isLight(el.dataset.color) ? "#212529" : "#fff";
    });
    // Forms marked data-autosubmit submit when one of their selects changes (language switcher).
    root.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      if (select.dataset.skBound) return;
      select.dataset.skBound = "1";
      select.addEventListener("change", function () { select.form.requestSubmit(); });
    });
    // Buttons with data-copy copy the value of the element they point at.
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      if (button.dataset.skBound) return;
      button.dataset.skBound = "1";
      button.addEventListener("click", function () {
        var target = document.querySelector(button.dataset.copy);
        if (!target) return;
        target.select();
        if (navigator.clipboard) navigator.clipboard.writeText(target.value);
      });
    });
    // Buttons and forms with data-confirm ask before acting.
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      if (form.dataset.skBound) return;
      form.dataset.skBound = "1";
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  }

  // Scripts that add rows themselves (the live order list) bind them the same way.
  window.shopkeeper = { bind: bind };
  onReady(function () { bind(document); });
  document.addEventListener("htmx:afterSettle", function (event) { bind(event.target); });
})();
