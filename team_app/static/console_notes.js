/* Working together: agents-only notes and transfers, shown in the transcript (never sent to
 * the customer), refreshed live when a colleague adds one. */
(function () {
  "use strict";

  var app = window.serambiConsole;
  var $ = function (id) { return document.getElementById(id); };
  var current = null;   // conversation id whose notes are shown

  function noteNode(note) {
    var transfer = note.kind === "transfer";
    var node = app.el("li", "msg msg-note");
    node.dataset.at = note.at;
    var heading = transfer
      ? "Transferred by " + note.from_agent + " to " + (note.to_agent || "the queue")
      : "Note from " + note.author;
    var who = app.el("span", "who", heading + " · only agents see this");
    who.appendChild(app.el("span", "when", note.time || ""));
    node.appendChild(who);
    if (note.text) node.appendChild(document.createTextNode(note.text));
    return node;
  }

  function render(notes) {
    var list = $("transcript");
    list.querySelectorAll(".msg-note").forEach(function (node) { node.remove(); });
    notes.forEach(function (note) {
      var later = Array.prototype.find.call(list.querySelectorAll(".msg[data-at]:not(.msg-note)"), function (line) {
        return Date.parse(line.dataset.at) > Date.parse(note.at);
      });
      list.insertBefore(noteNode(note), later || list.querySelector(".pending"));
    });
  }

  function load(conversationId) {
    return app.api("GET", "/api/conversations/" + conversationId + "/notes").then(function (data) {
      if (current === conversationId) render(data.notes);
    }).catch(function (error) {
      // Transferred away meanwhile: the conversation is no longer ours to read.
      if (current === conversationId && error.status !== 404) app.notify(error.message);
    });
  }

  document.addEventListener("serambi:selected", function (event) {
    current = event.detail.conversation_id;
    $("note-form").hidden = false;
    $("note-status").textContent = "";
    load(current);
  });
  document.addEventListener("serambi:note", function (event) {
    if (current === event.detail.conversation_id) load(current);
  });

  function fillAgents() {
    var select = $("transfer-to"), me = app.state.me ? app.state.me.username : null;
    var chosen = select.value;
    var options = [app.el("option", null, "Back to the queue")];
    options[0].value = "";
    (app.state.agentsOnline || []).filter(function (name) { return name !== me; }).forEach(function (name) {
      var option = app.el("option", null, name);
      option.value = name;
      options.push(option);
    });
    select.replaceChildren.apply(select, options);
    select.value = chosen;
  }
  document.addEventListener("serambi:queue", fillAgents);

  function status(text, isError) {
    $("note-status").className = "reply-status" + (isError ? " error" : "");
    $("note-status").textContent = text;
  }

  $("note-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!app.state.selected) return;
    var text = $("note-text").value.trim();
    if (!text) { status("Write the note first", true); return; }
    app.api("POST", "/api/handoffs/" + app.state.selected.handoffId + "/notes", { text: text }).then(function () {
      $("note-text").value = "";
      status("Note added (agents only)");
      load(current);
    }).catch(function (error) { status(error.message, true); });
  });

  $("transfer-button").addEventListener("click", function () {
    if (!app.state.selected) return;
    fillAgents();
    var handoffId = app.state.selected.handoffId, to = $("transfer-to").value || null;
    app.withBusy(app.api("POST", "/api/handoffs/" + handoffId + "/transfer",
      { to: to, note: $("note-text").value.trim() })).then(function () {
      $("note-text").value = "";
      app.state.mine = app.state.mine.filter(function (e) { return e.handoff_id !== handoffId; });
      app.clearSelection();
      $("note-form").hidden = true;
      current = null;
      app.notify(to ? "Transferred to " + to + "." : "Back in the queue.", "info");
    }).catch(function (error) { status(error.message, true); });
  });
})();
