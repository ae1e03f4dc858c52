// Shopkeeper UI behaviour. No inline scripts anywhere: the Content Security Policy forbids them.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function bind(root) {
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

  onReady(function () { bind(document); });
  document.addEventListener("htmx:afterSettle", function (event) { bind(event.target); });
})();
