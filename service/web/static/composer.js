// The composer: drag and drop and in-place moves of sections, the Markdown toolbar, and (debounced) the live
// Markdown preview and claims check. Without this file every button still works through the server.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  if (!form) { return; }
  var list = document.getElementById("sections");
  var token = form.querySelector("input[name=csrf_token]");
  var DELAY = 400;
  var timer = null;
  var dragged = null;

  function sections() { return Array.prototype.slice.call(list.querySelectorAll("[data-section]")); }

  function renumber() {
    sections().forEach(function (item, index) {
      item.querySelectorAll("[data-move]").forEach(function (button) {
        button.value = button.getAttribute("data-move") + ":" + index;
      });
    });
  }

  function changed() { renumber(); schedule(); }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("[data-move]");
    if (!button) { return; }
    event.preventDefault();
    var item = button.closest("[data-section]");
    var kind = button.getAttribute("data-move");
    if (kind === "up" && item.previousElementSibling) {
      list.insertBefore(item, item.previousElementSibling);
    } else if (kind === "down" && item.nextElementSibling) {
      list.insertBefore(item.nextElementSibling, item);
    } else if (kind === "remove") {
      var next = item.nextElementSibling || item.previousElementSibling;
      item.remove();
      if (next) { next.querySelector("[data-move]").focus(); }
      changed();
      return;
    }
    button.focus();
    changed();
  });

  list.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest("[data-section]");
    if (!item) { return; }
    dragged = item;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", "section");
  });
  list.addEventListener("dragover", function (event) {
    if (!dragged) { return; }
    event.preventDefault();
    var over = event.target.closest("[data-section]");
    if (!over || over === dragged) { return; }
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? over.nextElementSibling : over);
  });
  list.addEventListener("drop", function (event) { if (dragged) { event.preventDefault(); } });
  list.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    changed();
  });

  var wrappers = {
    bold: function (text) { return "**" + (text || "bold text") + "**"; },
    italic: function (text) { return "_" + (text || "italic text") + "_"; },
    link: function (text) { return "[" + (text || "link text") + "](https://)"; },
    list: function (text) { return (text || "item").split("\n").map(function (line) { return "- " + line; }).join("\n"); },
    subheading: function (text) { return "\n## " + (text || "Subheading") + "\n"; }
  };
  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-md]");
    if (!button) { return; }
    var area = button.closest(".field").querySelector("textarea");
    var start = area.selectionStart, end = area.selectionEnd;
    var replacement = wrappers[button.getAttribute("data-md")](area.value.slice(start, end));
    area.setRangeText(replacement, start, end, "select");
    area.focus();
    schedule();
  });

  function draft() {
    var fields = {}, markdown = {};
    ["subject", "preheader", "intro", "cta_label", "sign_off"].forEach(function (name) {
      var input = form.elements[name];
      if (input) { fields[name] = input.value; }
    });
    var hero = form.elements.hero_media_id;
    fields.hero_alt = altOf(hero);
    markdown.intro = fields.intro || "";
    markdown.sign_off = fields.sign_off || "";
    sections().forEach(function (item, index) {
      fields["sections." + index + ".heading"] = item.querySelector("[name=section_heading]").value;
      fields["sections." + index + ".body"] = item.querySelector("[name=section_body]").value;
      fields["sections." + index + ".alt"] = altOf(item.querySelector("select[data-media]"));
      markdown["sections." + index + ".body"] = fields["sections." + index + ".body"];
    });
    return { fields: fields, markdown: markdown };
  }

  function altOf(select) {
    var option = select && select.selectedOptions && select.selectedOptions[0];
    return (option && option.getAttribute("data-alt-text")) || "";
  }

  function show(box, parts) {
    box.innerHTML = "";
    if (!parts.length) { box.hidden = true; return; }
    parts.forEach(function (part) {
      var p = document.createElement("p");
      p.className = "live-finding";
      p.innerHTML = part; // highlighted by the server, every character of the text escaped there
      box.appendChild(p);
    });
    box.hidden = false;
  }

  function withFindings(result) { return result && result.findings.length ? [result.html] : []; }

  function apply(data) {
    ["subject", "preheader", "hero_alt", "intro", "cta_label", "sign_off"].forEach(function (name) {
      var box = form.querySelector('[data-live-for="' + name + '"]');
      if (box) { show(box, withFindings(data.fields[name])); }
    });
    sections().forEach(function (item, index) {
      var prefix = "sections." + index + ".";
      var box = item.querySelector('[data-live-for="section"]');
      show(box, [].concat(
        withFindings(data.fields[prefix + "heading"]),
        withFindings(data.fields[prefix + "body"]),
        withFindings(data.fields[prefix + "alt"])
      ));
      var preview = item.querySelector("[data-md-preview]");
      if (preview && data.markdown[prefix + "body"] !== undefined) {
        preview.innerHTML = data.markdown[prefix + "body"]; // sanitised by the server (nh3 allowlist)
      }
    });
  }

  function check() {
    fetch(form.getAttribute("data-live-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token.value },
      body: JSON.stringify(draft())
    }).then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { apply(data); } })
      .catch(function () { /* the check runs again on the next keystroke, and on the review page */ });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, DELAY);
  }

  function count() {
    var input = form.elements.preheader, counter = form.querySelector('[data-count-for="preheader"]');
    if (input && counter) { counter.textContent = String(input.value.length); }
  }

  form.addEventListener("input", function () { count(); schedule(); });
  form.addEventListener("change", schedule);
  check();
}());
