// Campaign form, schedule: show only the fields of the chosen kind, and list the planned send dates as the fields
// change. The server computes the dates (GET data-url, the check saving makes, in the clinic's time); this script
// only asks and shows the answer. Without it every field shows with its kind in the label, and the list is the
// one the server rendered from the saved or submitted values.
(function () {
  "use strict";
  var box = document.getElementById("planned-sends");
  if (!box) { return; }
  var form = box.closest("form");
  var message = box.querySelector("[data-planned-message]");
  var list = box.querySelector("[data-planned-list]");
  var SCHEDULE_FIELDS = ["schedule_kind", "start_date", "send_time", "every_days", "weekday", "occurrences"];
  var DELAY_MS = 300;
  var latest = 0;
  var timer = null;

  function chosenKind() {
    var checked = form.querySelector("input[name=schedule_kind]:checked");
    return checked ? checked.value : "once";
  }

  function showKindFields() {
    var kind = chosenKind();
    Array.prototype.forEach.call(form.querySelectorAll("[data-schedule-kinds]"), function (group) {
      group.hidden = group.dataset.scheduleKinds.split(" ").indexOf(kind) === -1;
    });
  }

  function query() {
    var params = new URLSearchParams();
    SCHEDULE_FIELDS.forEach(function (name) {
      var input = name === "schedule_kind"
        ? form.querySelector("input[name=schedule_kind]:checked")
        : form.querySelector("[name=" + name + "]");
      if (input) { params.append(name, input.value); }
    });
    if (box.dataset.campaignId) {
      params.append("campaign_id", box.dataset.campaignId);
    } else {
      Array.prototype.forEach.call(form.querySelectorAll("input[name=snippet_ids]:checked"), function (tick) {
        params.append("snippet_ids", tick.value);
      });
    }
    return params.toString();
  }

  function show(data) {
    message.textContent = data.error || "";
    message.hidden = !data.error;
    list.textContent = "";
    data.sends.forEach(function (send) {
      var item = document.createElement("li");
      var time = document.createElement("time");
      time.dateTime = send.at;
      time.textContent = send.text;
      item.appendChild(time);
      if (send.step) { item.appendChild(document.createTextNode(" · step " + send.step)); }
      list.appendChild(item);
    });
    list.hidden = data.sends.length === 0;
  }

  function refresh() {
    if (!window.fetch) { return; }
    var request = ++latest;
    fetch(box.dataset.url + "?" + query(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        // Answers can arrive out of order: only the newest request may write the list.
        if (data && request === latest) { show(data); }
      })
      .catch(function () { /* keep the last list; saving checks the schedule again */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DELAY_MS);
  }

  function onChange(event) {
    var name = event.target && event.target.name;
    if (name === "schedule_kind") { showKindFields(); }
    if (SCHEDULE_FIELDS.indexOf(name) !== -1 || (name === "snippet_ids" && !box.dataset.campaignId)) { later(); }
  }

  form.addEventListener("change", onChange);
  form.addEventListener("input", onChange);
  showKindFields();
  refresh();
}());
