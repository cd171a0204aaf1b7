// The review page's "accept with this reason" forms, without a page reload: the form is posted with fetch asking
// for JSON (POST /campaigns/<id>/review/accept); every finding the answer lists as accepted (one, or all the
// occurrences of the warning when "use this reason for all" is ticked) shows its acceptance in place. An empty
// reason is refused: the error goes beside the box, which keeps the focus and what was typed.
// Without this file the form posts, and the page comes back at the same finding.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) { return; }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }  // text only: a reason is never parsed as HTML
    return node;
  }

  function showError(form, message) {
    var box = form.querySelector("textarea[name=reason]");
    var error = form.querySelector(".error");
    if (!error) {
      error = element("p", "error");
      error.id = box.id + "-error";
      error.setAttribute("role", "alert");
      box.insertAdjacentElement("afterend", error);
    }
    error.textContent = message;
    box.setAttribute("aria-invalid", "true");
    box.setAttribute("aria-describedby", error.id);
    box.focus();
  }

  function showAccepted(accepted) {
    var row = document.querySelector("tr[data-fingerprint='" + accepted.fingerprint + "']");
    var form = row && row.querySelector("form[data-accept-form]");
    if (!form) { return; }
    form.replaceWith(element("p", "accepted", "Accepted by " + accepted.by + ", " + accepted.at + ": \u201c" + accepted.reason + "\u201d"));
  }

  // What the server says (as its flash message would), beside the finding the reader is at.
  function say(cell, message) {
    var status = element("p", "flash success", message);
    status.setAttribute("role", "status");
    cell.appendChild(status);
  }

  function submit(event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-accept-form]")) { return; }
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.action, { method: "POST", credentials: "same-origin", headers: { Accept: "application/json" }, body: new FormData(form) })
      .then(function (response) { return response.json().then(function (data) { return { ok: response.ok, data: data }; }); })
      .then(function (answer) {
        if (!answer.ok) { button.disabled = false; showError(form, answer.data.error || "The warning could not be accepted."); return; }
        var cell = form.parentNode;
        answer.data.accepted.forEach(showAccepted);
        say(cell, answer.data.message);
        var count = document.querySelector("[data-accepted-count]");
        if (count) { count.textContent = answer.data.accepted_count; }
      })
      .catch(function () { button.disabled = false; form.submit(); });  // the way without script still works
  }

  document.addEventListener("submit", submit);
})();
