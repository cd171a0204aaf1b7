// Outbox email page and campaign preview: make each frame marked data-fit-content exactly as tall as the email in
// it, so its footer (address, unsubscribe link, disclaimer) is never cut off. The frame is same-origin and
// script-free, so its document can be measured from here; without this script the frame keeps its CSS height.
(function () {
  "use strict";
  var EXTRA_PX = 16; // room for a horizontal scrollbar under a wide email

  function fit(frame) {
    var doc;
    try { doc = frame.contentDocument; } catch (error) { return; }
    if (!doc || !doc.documentElement) { return; }
    // A frame in a hidden tab measures as empty: leave it until it is shown again.
    if (!frame.getClientRects().length) { return; }
    // Shrink first: a document is never measured shorter than its frame.
    frame.style.height = "0px";
    var height = Math.max(doc.documentElement.scrollHeight, doc.body ? doc.body.scrollHeight : 0);
    frame.style.height = (height + EXTRA_PX) + "px";
  }

  var frames = document.querySelectorAll("iframe[data-fit-content]");
  // The preview's tabs are CSS-only radio buttons: a change may show frames that were hidden, so measure them then.
  document.addEventListener("change", function () { Array.prototype.forEach.call(frames, fit); });

  Array.prototype.forEach.call(frames, function (frame) {
    frame.addEventListener("load", function () { fit(frame); });
    // Already loaded before this deferred script ran (not the empty document a frame starts with).
    var doc = frame.contentDocument;
    if (doc && doc.readyState === "complete" && doc.URL !== "about:blank") { fit(frame); }
    var resizing = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(resizing);
      resizing = window.setTimeout(function () { fit(frame); }, 150);
    });
  });
}());
