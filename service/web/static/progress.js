// A progress bar that follows work the worker is doing, by polling its JSON every 2 seconds. The box names the
// JSON (data-progress-url) and what it follows (data-progress):
// - "campaign" (campaigns/_sending.html): what each message has sent, until the campaign stops sending;
// - "subscriber-import" (subscribers/import_progress.html): the bytes the check has read; when the job's stage
//   moves on from the one shown (data-status), the page reloads to show the check's report or the finished import.
(function () {
  "use strict";
  var INTERVAL = 2000;
  var box = document.querySelector("[data-progress-url]");
  if (!box) {
    return;
  }

  function describeCampaign(data) {
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

  var KINDS = {
    campaign: {
      done: function (data) { return data.sent; },
      describe: describeCampaign,
      goesOn: function (data) { return data.status === "sending"; },
    },
    "subscriber-import": {
      // Only the check has a label to fill: importing is all or nothing, so its bar only says "working".
      done: function (data) { return data.done; },
      describe: function (data) {
        return data.done.toLocaleString() + " of " + data.total.toLocaleString() + " bytes checked";
      },
      goesOn: function () { return true; }, // until its stage moves on, which reloads the page
    },
  };
  var kind = KINDS[box.getAttribute("data-progress")];
  if (!kind) {
    return;
  }
  var url = box.getAttribute("data-progress-url");
  var shownStatus = box.getAttribute("data-status");
  var bar = box.querySelector("progress");
  var label = box.querySelector("[data-progress-label]");

  function show(data) {
    var done = kind.done(data) || 0;
    bar.max = Math.max(data.total || 0, 1);
    bar.value = Math.min(done, bar.max);
    bar.textContent = done + " / " + (data.total || 0);
    label.textContent = kind.describe(data);
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
        if (shownStatus !== null && data.status !== shownStatus) {
          window.location.reload();
          return;
        }
        if (label) {
          show(data);
        }
        if (kind.goesOn(data)) {
          window.setTimeout(poll, INTERVAL);
        }
      })
      .catch(function () {
        if (label) {
          label.textContent = "Progress is not available right now; retrying.";
        }
        window.setTimeout(poll, INTERVAL * 5);
      });
  }

  poll();
})();
