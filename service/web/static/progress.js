// The campaign page's progress bar: polls the campaign's progress JSON every 2 seconds while it is sending.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector("progress");
  var label = box.querySelector("[data-progress-label]");
  var INTERVAL = 2000;

  function describe(data) {
    var parts = (data.messages || []).map(function (m) {
      var unit = m.channel === "email" ? "emails" : "thread posts";
      if (m.status === "planned") {
        return unit + ": waiting their turn";
      }
      var count = m.sent + " of " + m.total + " " + unit;
      return m.status === "sending" ? count : count + " (" + m.status + ")";
    });
    var prefix = data.status === "sending" ? "Sending: " : "Campaign is " + data.status + ": ";
    return prefix + (parts.length ? parts.join(", ") : "starting…");
  }

  function show(data) {
    bar.max = Math.max(data.total || 0, 1);
    bar.value = Math.min(data.sent || 0, bar.max);
    bar.textContent = data.sent + " / " + data.total;
    label.textContent = describe(data);
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.status === "sending") {
          window.setTimeout(poll, INTERVAL);
        }
      })
      .catch(function () {
        label.textContent = "Progress is not available right now; retrying.";
        window.setTimeout(poll, INTERVAL * 5);
      });
  }

  poll();
})();
