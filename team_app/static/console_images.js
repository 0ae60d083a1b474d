/* Customers' photos in the transcript: each "[photo]" line shows its picture. */
(function () {
  "use strict";

  var app = window.serambiConsole;
  var transcript = document.getElementById("transcript");
  var current = null;
  var CLAIMS = { "faq/item_damaged": "damaged item claim", "faq/wrong_item": "wrong item claim" };

  function photoLines() {
    return Array.prototype.filter.call(transcript.querySelectorAll(".msg-customer"), function (node) {
      return /\[photo\]\s*$/.test(node.textContent);
    });
  }

  function show(images) {
    photoLines().forEach(function (node, index) {
      var image = images[index];
      if (!image || node.querySelector("img")) return;
      var picture = document.createElement("img");
      picture.className = "customer-photo";
      picture.src = "/api/images/" + image.id;
      picture.alt = "Photo from the customer (" + image.width + "×" + image.height + ")";
      picture.width = Math.min(240, image.width);
      // The picture grows the transcript once loaded: keep the newest line in view.
      picture.addEventListener("load", function () { transcript.scrollTop = transcript.scrollHeight; });
      node.lastChild.textContent = "";
      node.appendChild(picture);
      if (image.claim_topic) node.appendChild(app.el("span", "photo-claim", "kept with the " + (CLAIMS[image.claim_topic] || image.claim_topic)));
    });
  }

  function load() {
    var conversationId = current;
    if (!conversationId || !photoLines().some(function (n) { return !n.querySelector("img"); })) return;
    app.api("GET", "/api/conversations/" + conversationId + "/images").then(function (data) {
      if (current === conversationId) show(data.images);
    }).catch(function (error) { if (current === conversationId && error.status !== 404) app.notify(error.message); });
  }

  document.addEventListener("serambi:selected", function (event) { current = event.detail.conversation_id; load(); });
  new MutationObserver(load).observe(transcript, { childList: true });
})();
