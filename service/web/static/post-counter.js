// Live preview of posts on X with their weighted length, while typing.
// The server counts (the official twitter-text rules: URLs 23, CJK and emoji 2, NFC first); this script only asks,
// a moment after the typing stops, and shows the answer. Without it the pages work, minus the preview.
//
// Attach with an element carrying data-post-preview and data-url (the POST /posts/preview endpoint):
//   data-mode="campaign-form": the enclosing campaign form's snippets, post template, hashtags, link and name;
//   data-mode="snippet": data-heading-field / data-body-field (field names) as posted by data-campaign-id;
//   data-mode="text": data-text-field, the text as it is;
//   data-mode="part": the same, shown as one part's counter only ("212/280") beside the part being edited.
(function () {
  "use strict";
  if (!window.fetch) { return; }
  var DELAY_MS = 350;

  function field(form, name) { return form.querySelector("[name='" + name + "']"); }
  function value(form, name) { var input = field(form, name); return input ? input.value : ""; }

  function payload(box, form) {
    var mode = box.dataset.mode || "text";
    if (mode === "text" || mode === "part") { return { text: value(form, box.dataset.textField || "text") }; }
    var data = {};
    if (box.dataset.campaignId) { data.campaign_id = parseInt(box.dataset.campaignId, 10); }
    if (mode === "snippet") {
      data.heading = value(form, box.dataset.headingField || "heading");
      data.body = value(form, box.dataset.bodyField || "body");
      return data;
    }
    data.snippet_ids = Array.prototype.map.call(form.querySelectorAll("input[name=snippet_ids]:checked"), function (box) {
      return parseInt(box.value, 10);
    });
    data.template = value(form, "post_template");
    data.hashtags = value(form, "hashtags");
    data.link_url = value(form, "link_url");
    data.name = value(form, "name");
    return data;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }  // text only: snippet text is never parsed as HTML
    return node;
  }

  function showPosts(target, posts, maxLength) {
    if (!posts.length) { target.appendChild(element("p", "hint", "Nothing to post yet.")); return; }
    var summary = posts.length === 1 ? "One post." : "A thread of " + posts.length + " posts.";
    target.appendChild(element("p", "hint", summary));
    posts.forEach(function (post) {
      var over = post.weighted_length > maxLength;
      var item = element("div", "post-preview-part" + (over ? " over" : ""));
      item.appendChild(element("pre", "post", post.text));
      item.appendChild(element("span", "post-counter", post.weighted_length + "/" + maxLength + (over ? " (too long)" : "")));
      target.appendChild(item);
    });
  }

  function showCounter(box, data) {
    var over = data.weighted_length > data.max_length;
    box.className = "post-counter" + (over ? " over" : "");
    box.textContent = data.weighted_length + "/" + data.max_length + (over ? " (too long for one post)" : "");
    box.hidden = false;
  }

  function show(box, data) {
    if (box.dataset.mode === "part") { showCounter(box, data); return; }
    box.textContent = "";
    box.appendChild(element("h3", "", "Post on X: live preview"));
    if (data.posts) { showPosts(box, data.posts, data.max_length); }
    (data.snippets || []).forEach(function (snippet) {
      var section = element("section", "post-preview-snippet");
      section.appendChild(element("h4", "", snippet.heading || "(no heading)"));
      showPosts(section, snippet.posts, data.max_length);
      box.appendChild(section);
    });
    if (data.snippets && !data.snippets.length) { box.appendChild(element("p", "hint", "Choose a snippet to see its posts.")); }
    box.hidden = false;
  }

  function attach(box) {
    var form = box.closest("form");
    var token = form && field(form, "csrf_token");
    if (!form || !box.dataset.url) { return; }
    var timer = null;
    var latest = 0;

    function refresh() {
      var request = ++latest;
      var sendPost = field(form, "send_post");
      if (box.dataset.mode === "campaign-form" && sendPost && !sendPost.checked) { box.hidden = true; return; }
      fetch(box.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
        body: JSON.stringify(payload(box, form))
      })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          // Answers can arrive out of order: only the newest request may write the preview.
          if (request !== latest) { return; }
          if (data.error) { box.textContent = ""; box.appendChild(element("p", "error", data.error)); box.hidden = false; return; }
          show(box, data);
        })
        .catch(function () { /* keep the last preview; the campaign's preview page shows the saved posts */ });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DELAY_MS);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", later);
    refresh();
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-post-preview]"), attach);
}());
