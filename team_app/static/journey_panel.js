/* The customer's journey in the console's context panel: every channel, topics, outcomes,
   handoffs, scores and follow-ups of the selected customer (GET /api/journey). Follows the
   selection through console.js's "serambi:selected" event; builds DOM nodes, never HTML. */
(function () {
  "use strict";
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function when(iso) {
    if (!iso) return "";
    var zone = (document.querySelector('meta[name="timezone"]') || {}).content || undefined;
    return new Date(iso + "Z").toLocaleString("en-GB", { timeZone: zone, dateStyle: "medium", timeStyle: "short" });
  }
  function panel() {
    var box = document.getElementById("journey-panel");
    if (box) return box;
    // The console page links only its own stylesheet; the timeline's lives beside this file.
    var style = el("link");
    style.rel = "stylesheet";
    style.href = "/static/journey.css";
    document.head.appendChild(style);
    var aside = document.querySelector("aside.context");
    if (!aside) return null;
    box = el("section", "journey-panel");
    box.id = "journey-panel";
    box.setAttribute("aria-label", "Customer journey");
    aside.appendChild(box);
    return box;
  }
  function render(journey) {
    var box = panel();
    if (!box) return;
    var channels = journey.identities.map(function (i) { return i.channel; });
    var list = el("ol", "timeline");
    journey.conversations.forEach(function (c) {
      var item = el("li", "timeline-item" + (c.negative ? " negative" : ""));
      item.dataset.conversation = c.id;
      item.appendChild(el("span", "when", when(c.started_at) + " "));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("span", "chip channel-" + c.channel, c.channel));
      item.appendChild(el("span", "", " #" + c.id + " " + (c.primary_topic || "no topic").replace(/_/g, " ") + " "));
      item.appendChild(el("span", "outcome outcome-" + (c.outcome || "open"), c.outcome || "open"));
      item.appendChild(document.createTextNode(" "));
      c.handoffs.forEach(function (h) { item.appendChild(el("span", "meta", " · handoff " + h.status + (h.agent ? " (" + h.agent + ")" : ""))); });
      Object.keys(c.scores).forEach(function (k) { item.appendChild(el("span", "score", k.toUpperCase() + " " + c.scores[k])); });
      journey.follow_ups.filter(function (f) { return f.conversation_id === c.id; }).forEach(function (f) {
        var link = el("a", "follow-up-chip" + (f.breached && !f.closed_at ? " breached" : ""),
          "follow-up: " + (f.outcome || (f.breached ? "overdue" : "open")));
        link.href = "/follow-ups/" + f.id;
        item.appendChild(link);
      });
      list.appendChild(item);
    });
    box.replaceChildren(el("h3", "", "Journey across channels"),
      el("p", "journey-channels", "On " + channels.join(", ") + (journey.links.length ? " (linked by proof)" : "")), list);
  }
  document.addEventListener("serambi:selected", function (event) {
    var id = event.detail && event.detail.conversation_id;
    if (!id) return;
    fetch("/api/journey?conversation_id=" + encodeURIComponent(id), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (journey) { if (journey) render(journey); })
      .catch(function () { /* the rest of the context panel still works */ });
  });
})();
