// Campaign form: keep "Audience now: N confirmed subscribers" in step with the ticked topics.
// The server renders the first figure, so the page works without this script.
(function () {
  "use strict";
  var hint = document.getElementById("audience-size");
  if (!hint || !window.fetch) { return; }
  var count = hint.querySelector("[data-audience-count]");
  var form = hint.closest("form");
  var latest = 0;

  function chosenTopics() {
    return Array.prototype.map.call(form.querySelectorAll("input[name=topics]:checked"), function (box) {
      return box.value;
    });
  }

  function describe(size) {
    return size.toLocaleString() + " confirmed subscriber" + (size === 1 ? "" : "s");
  }

  function refresh() {
    var request = ++latest;
    var query = new URLSearchParams();
    chosenTopics().forEach(function (topic) { query.append("topics", topic); });
    fetch(hint.dataset.url + "?" + query.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        // Answers can arrive out of order: only the newest request may write the figure.
        if (data && request === latest) { count.textContent = describe(data.size); }
      })
      .catch(function () { /* keep the last figure; the server shows the right one after saving */ });
  }

  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "topics") { refresh(); }
  });
}());
