// The post editor's "As it will look on X", refreshed while typing: a moment after the typing stops, the form as
// it is (the same fields a save sends, nothing saved) goes to the server, which answers with the thread built by
// the code that builds what is sent; this script only puts that answer in place. Without it, saving refreshes.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) { return; }
  var DELAY_MS = 400;

  function attach(box) {
    var form = document.getElementById(box.dataset.form);
    if (!form || !box.dataset.url) { return; }
    var timer = null;
    var latest = 0;

    function refresh() {
      var request = ++latest;
      box.setAttribute("aria-busy", "true");
      fetch(box.dataset.url, { method: "POST", credentials: "same-origin", body: new FormData(form) })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          // Answers can arrive out of order: only the newest request may write the preview.
          if (request !== latest) { return; }
          box.removeAttribute("aria-busy");
          if (html !== null) { box.innerHTML = html; }  // rendered by the server, every piece of text escaped there
        })
        .catch(function () { box.removeAttribute("aria-busy"); /* keep the last preview; saving refreshes it */ });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DELAY_MS);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", later);
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-hint]"), function (hint) {
      hint.textContent = hint.dataset.liveHint;
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-thread-preview]"), attach);
}());
