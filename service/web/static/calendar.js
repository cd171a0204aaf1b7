// The staff calendar: FullCalendar (vendor/fullcalendar) showing /calendar/sends.json, month and week views.
// The component runs in "UTC" mode fed with the clinic's wall-clock times, so it shows the clinic's time whatever
// the browser's zone; the server reads times sent back the same way. Dragging a scheduled send posts it to
// /calendar/move; the agenda below the calendar, with its "Move" links, is the way without a mouse or script.
(function () {
  "use strict";
  var element = document.getElementById("send-calendar");
  if (!element || !window.FullCalendar || !window.fetch) { return; }
  var status = document.querySelector("[data-calendar-status]");
  var clinicNow = new Date(element.dataset.now + ":00Z");

  function say(text) { if (status) { status.textContent = text; } }

  function moveSend(info) {
    var event = info.event;
    fetch(element.dataset.moveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": element.dataset.csrfToken },
      body: JSON.stringify({ campaign_id: event.extendedProps.campaignId, send_at: event.extendedProps.sendAt, to: event.startStr })
    })
      .then(function (response) { return response.json().then(function (data) { return { ok: response.ok, data: data }; }); })
      .then(function (answer) {
        if (!answer.ok) { info.revert(); say(answer.data.error || "The send could not be moved."); return; }
        event.setExtendedProp("sendAt", answer.data.send_at);
        say("Moved “" + event.title + "” to " + answer.data.local + ".");
      })
      .catch(function () { info.revert(); say("The send could not be moved; check the connection and try again."); });
  }

  // FullCalendar's arrow icons are role="img" without a name (the buttons carry it), and its grid roles span
  // nested tables in a way screen readers cannot follow; plain table semantics read better.
  function tidyForAssistiveTech() {
    element.querySelectorAll(".fc-icon").forEach(function (icon) { icon.setAttribute("aria-hidden", "true"); });
    element.querySelectorAll(".fc-scrollgrid, .fc-scrollgrid [role]").forEach(function (node) { node.removeAttribute("role"); });
    // A region that scrolls must be reachable by keyboard.
    element.querySelectorAll(".fc-scroller").forEach(function (box) { box.setAttribute("tabindex", "0"); });
  }

  var calendar = new window.FullCalendar.Calendar(element, {
    timeZone: "UTC",
    now: clinicNow,
    firstDay: 1,
    initialView: window.matchMedia("(max-width: 600px)").matches ? "timeGridWeek" : "dayGridMonth",
    headerToolbar: { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek" },
    buttonText: { today: "Today", month: "Month", week: "Week" },
    height: "auto",
    nowIndicator: true,
    editable: true,
    eventDurationEditable: false,
    displayEventEnd: false,
    eventTimeFormat: { hour: "numeric", minute: "2-digit", meridiem: "short" },
    events: { url: element.dataset.sendsUrl, failure: function () { say("The calendar could not load its sends."); } },
    eventAllow: function (drop) { return drop.start > clinicNow; },
    eventDrop: moveSend,
    buttonHints: { prev: "Previous $0", next: "Next $0", today: "This $0" },
    datesSet: function () { window.setTimeout(tidyForAssistiveTech, 0); },
    eventsSet: function () { window.setTimeout(tidyForAssistiveTech, 0); },
    eventDidMount: function (info) {
      info.el.setAttribute("title", info.event.title + " · " + info.event.extendedProps.status);
    }
  });
  calendar.render();
}());
