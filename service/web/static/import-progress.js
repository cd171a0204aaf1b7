// A large subscriber import's progress bar: polls the job every 2 seconds and reloads the page when its stage
// changes (the check's report, or the finished import, is then shown).
(function () {
  "use strict";
  var box = document.querySelector("[data-import-progress-url]");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-import-progress-url");
  var shown = box.getAttribute("data-status");
  var bar = box.querySelector("progress");
  var label = box.querySelector("[data-progress-label]");

  function show(data) {
    if (data.status !== shown) {
      window.location.reload();
      return;
    }
    if (label) {
      // Checking: how far the worker read; importing is all or nothing, so its bar only says "working".
      bar.max = Math.max(data.total || 0, 1);
      bar.value = Math.min(data.done || 0, bar.max);
      label.textContent = data.done.toLocaleString() + " of " + data.total.toLocaleString() + " bytes checked";
    }
    window.setTimeout(poll, 2000);
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(show)
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 2000);
})();
