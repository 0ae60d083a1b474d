/* Agent console: renders queue, transcript and context from the JSON API; console_live.js
 * refreshes them when the server says something changed (no polling).
 * Customer text is only ever set with textContent (never parsed as HTML). */
(function () {
  "use strict";

  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var timeZone = document.querySelector('meta[name="timezone"]').content || undefined;
  var $ = function (id) { return document.getElementById(id); };

  var state = {
    me: null,
    queue: [],
    mine: [],
    clockOffset: 0,          // server now - local now, ms
    selected: null,          // {handoffId, conversationId}
    lastMessageId: 0,
    pending: [],             // agent messages delivered but not yet in the transcript
    busy: false
  };

  // --- HTTP -------------------------------------------------------------------
  function api(method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method !== "GET") {
      options.headers["X-CSRF-Token"] = csrf;
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body || {});
    }
    return fetch(path, options).then(function (reply) {
      if (reply.status === 401) {
        window.location.href = "/login?next=/console";
        throw new Error("Your session ended; please log in again");
      }
      return reply.json().catch(function () { return {}; }).then(function (data) {
        if (!reply.ok) {
          var error = new Error(data.error || ("Request failed (" + reply.status + ")"));
          error.status = reply.status;
          throw error;
        }
        return data;
      });
    });
  }

  // --- Small helpers --------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function serverNow() { return Date.now() + state.clockOffset; }
  // "under a minute", "3 min", "2 h 05 min", "3 d 4 h": what an agent reads at a glance.
  function formatWait(seconds) {
    var m = Math.floor(Math.max(0, seconds) / 60);
    if (m < 1) return "under a minute";
    if (m < 60) return m + " min";
    var h = Math.floor(m / 60);
    if (h < 24) return h + " h " + String(m % 60).padStart(2, "0") + " min";
    return Math.floor(h / 24) + " d " + (h % 24) + " h";
  }
  function minutes(seconds) {
    var m = Math.round(seconds / 60);
    return m < 1 ? "under a minute" : m + " min";
  }
  var LANGUAGES = { id: "Indonesian", en: "English" };
  var CHANNELS = { web: "Web chat", telegram: "Telegram", rest: "API" };
  function languageName(code) { return code ? (LANGUAGES[code] || code) : "unknown"; }
  function channelName(code) { return CHANNELS[code] || code; }
  function localDate(iso, withTime) {
    var options = { timeZone: timeZone, day: "numeric", month: "short", year: "numeric" };
    if (withTime) { options.hour = "2-digit"; options.minute = "2-digit"; }
    try { return new Date(iso).toLocaleString([], options); }
    catch (error) { return new Date(iso).toLocaleString(); }  // unknown zone name
  }
  function humanize(text) { return text ? String(text).replace(/[_/]/g, " ") : ""; }

  // Why a customer waits: what they came about (the conversation's primary
  // topic, "faq/item_damaged"), then how they got here. The topic is what
  // an agent picks a customer by; the request for a person says nothing.
  var REASONS = { request: "asked for a person", complaint: "complaint",
                  repeated_miss: "bot did not understand", left_message: "left a message" };
  var NOT_A_TOPIC = { request_human: true, complain: true };
  function whyWaiting(entry) {
    var reason = REASONS[entry.reason] || humanize(entry.reason) || REASONS.request;
    var topic = entry.topic && !NOT_A_TOPIC[entry.topic] ? humanize(String(entry.topic).replace(/^faq\//, "")) : "";
    var line = topic ? topic + " · " + reason : reason;
    return line.charAt(0).toUpperCase() + line.slice(1);
  }

  function notify(message, kind) {
    var box = $("notice");
    $("notice-text").textContent = message;
    box.className = "notice" + (kind === "info" ? " info" : "");
    box.hidden = false;
    clearTimeout(notify.timer);
    if (kind === "info") notify.timer = setTimeout(function () { box.hidden = true; }, 5000);
  }
  $("notice-close").addEventListener("click", function () { $("notice").hidden = true; });

  // --- Queue and my conversations ----------------------------------------------
  function card(entry, isMine) {
    var item = el("li");
    var button = el("button", "card");
    button.type = "button";
    button.dataset.handoff = entry.handoff_id;
    button.dataset.conversation = entry.conversation_id;
    if (state.selected && state.selected.handoffId === entry.handoff_id) button.setAttribute("aria-current", "true");

    var top = el("span", "card-top");
    if (!isMine) top.appendChild(el("span", "badge pos", "#" + entry.position));
    top.appendChild(el("span", "badge " + entry.channel, channelName(entry.channel)));
    top.appendChild(el("span", "badge", (entry.language || "?").toUpperCase()));
    top.appendChild(el("span", "spacer"));
    var wait = el("span", "wait");
    wait.dataset.since = entry.requested_at;
    wait.setAttribute("aria-label", "waiting time");
    top.appendChild(wait);
    button.appendChild(top);
    button.appendChild(el("span", "card-reason", whyWaiting(entry)));
    button.appendChild(el("span", "card-text", entry.opening_request || "(no message yet)"));
    button.setAttribute("aria-label",
      (isMine ? "Your conversation" : "Waiting customer #" + entry.position) + ", " + channelName(entry.channel) +
      ", " + languageName(entry.language) + ": " + (entry.opening_request || ""));
    button.addEventListener("click", function () { select(entry.handoff_id, entry.conversation_id); });
    item.appendChild(button);
    return item;
  }

  function renderLists() {
    var queueList = $("queue-list"), mineList = $("mine-list");
    queueList.replaceChildren.apply(queueList, state.queue.map(function (e) { return card(e, false); }));
    mineList.replaceChildren.apply(mineList, state.mine.map(function (e) { return card(e, true); }));
    $("queue-count").textContent = state.queue.length;
    $("mine-count").textContent = state.mine.length;
    $("queue-empty").hidden = state.queue.length > 0;
    $("mine-empty").hidden = state.mine.length > 0;
    tick();
  }

  function tick() {
    var now = serverNow();
    document.querySelectorAll(".wait[data-since]").forEach(function (node) {
      var seconds = (now - Date.parse(node.dataset.since)) / 1000;
      node.textContent = formatWait(seconds);
      node.classList.toggle("long", seconds > 300);
    });
  }

  function renderMeta(data) {
    var online = data.agents_online.length;
    var parts = [online + (online === 1 ? " agent" : " agents") + " online",
                 "typical wait " + minutes(data.estimated_wait_seconds)];
    if (!data.within_business_hours) parts.push("outside business hours");
    $("queue-meta").textContent = parts.join(" · ");
  }

  function renderAvailability(available) {
    var toggle = $("availability");
    toggle.setAttribute("aria-checked", available ? "true" : "false");
    $("availability-label").textContent = available ? "Available" : "Away";
  }

  // --- The selected conversation -------------------------------------------------
  function findEntry(handoffId) {
    var all = state.queue.concat(state.mine);
    for (var i = 0; i < all.length; i++) if (all[i].handoff_id === handoffId) return all[i];
    return null;
  }

  function selectedStatus() {
    if (!state.selected) return null;
    var mine = state.mine.some(function (e) { return e.handoff_id === state.selected.handoffId; });
    if (mine) return "mine";
    var waiting = state.queue.some(function (e) { return e.handoff_id === state.selected.handoffId; });
    return waiting ? "waiting" : "gone";
  }

  function updateControls() {
    var status = selectedStatus();
    $("claim-button").disabled = status !== "waiting" || state.busy;
    $("resolve-button").disabled = status !== "mine" || state.busy;
    var canReply = status === "mine";
    $("reply-text").disabled = !canReply;
    $("send-button").disabled = !canReply || state.busy;
    $("reply-text").placeholder = canReply ? "Write to the customer… (Enter sends, Shift+Enter for a new line)"
      : status === "waiting" ? "Claim the conversation to reply" : "";
  }

  function messageNode(message, pending) {
    var sender = message.sender;
    var node = el("li", "msg msg-" + sender + (pending ? " pending" : ""));
    var who = el("span", "who", sender === "customer" ? "Customer" : sender === "bot" ? "Bot" : "Agent");
    who.appendChild(el("span", "when", pending ? "delivered, saving…" : message.time || ""));
    node.appendChild(who);
    node.appendChild(document.createTextNode(message.text));
    if (message.id) node.dataset.id = message.id;
    if (message.at) node.dataset.at = message.at;  // agents' notes are placed by time
    return node;
  }

  function appendMessages(messages) {
    var list = $("transcript");
    var nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    messages.forEach(function (message) {
      state.lastMessageId = Math.max(state.lastMessageId, message.id);
      if (message.sender === "agent") {
        // The stored copy of a reply we already show as pending replaces it.
        var index = state.pending.findIndex(function (p) { return p.text === message.text; });
        if (index >= 0) {
          state.pending[index].node.remove();
          state.pending.splice(index, 1);
        }
      }
      var node = messageNode(message, false);
      var firstPending = state.pending.length ? state.pending[0].node : null;
      list.insertBefore(node, firstPending);
    });
    if (nearBottom || messages.length) list.scrollTop = list.scrollHeight;
  }

  function renderContext(context) {
    var facts = $("context-facts");
    facts.replaceChildren();
    function fact(label, value) {
      facts.appendChild(el("dt", null, label));
      facts.appendChild(el("dd", null, value || "—"));
    }
    fact("Language", languageName(context.language));
    fact("Channel", channelName(context.channel));
    fact("Order number", context.order_number);
    fact("Topics", context.topics.map(humanize).join(", "));
    fact("Started", context.started_at ? localDate(context.started_at, true) : "");
    var earlier = $("earlier-list");
    earlier.replaceChildren.apply(earlier, context.earlier.map(function (c) {
      var item = el("li");
      var line1 = el("div");
      line1.appendChild(el("span", "outcome " + (c.outcome || ""), c.outcome || "open"));
      line1.appendChild(document.createTextNode(" · " + humanize(c.topic || "small talk")));
      var line2 = el("div", "line2",
        localDate(c.started_at, false) + " · " + channelName(c.channel) +
        " · CSAT " + (c.csat === null || c.csat === undefined ? "—" : c.csat + "/5") +
        (c.agent ? " · " + c.agent : ""));
      item.appendChild(line1);
      item.appendChild(line2);
      return item;
    }));
    $("earlier-empty").hidden = context.earlier.length > 0;
    $("context-body").hidden = false;
    $("context-empty").hidden = true;
  }

  function select(handoffId, conversationId) {
    state.selected = { handoffId: handoffId, conversationId: conversationId };
    state.lastMessageId = 0;
    state.pending = [];
    $("transcript").replaceChildren();
    $("reply-status").textContent = "";
    renderLists();
    updateControls();
    return api("GET", "/api/conversations/" + conversationId).then(function (context) {
      if (!state.selected || state.selected.conversationId !== conversationId) return;
      var entry = findEntry(handoffId) || {};
      $("conv-title").textContent = "Conversation #" + conversationId;
      $("conv-meta").textContent = channelName(context.channel) + " · " + languageName(context.language) +
        (entry.reason ? " · " + humanize(entry.reason) : "");
      $("transcript").replaceChildren();
      if (!context.transcript.length) $("transcript").appendChild(el("li", "transcript-note", "No messages yet."));
      appendMessages(context.transcript);
      renderContext(context);
      updateControls();
      // Other parts of the page (canned responses, notes) follow the selection.
      document.dispatchEvent(new CustomEvent("serambi:selected", { detail: context }));
    }).catch(function (error) { notify(error.message); });
  }

  // --- Refreshing (called by console_live.js when the server announces a change) ------
  function refreshQueue() {
    return api("GET", "/api/queue").then(function (data) {
      state.clockOffset = Date.parse(data.now) - Date.now();
      state.queue = data.queue;
      state.mine = data.mine;
      state.me = data.me;
      state.agentsOnline = data.agents_online;
      renderMeta(data);
      renderLists();
      if (state.selected && selectedStatus() === "gone" && !state.busy) {
        notify("This conversation is no longer waiting: another agent took it, or it was closed.", "info");
        clearSelection();
      }
      updateControls();
      return data;
    });
  }

  function refreshMessages() {
    if (!state.selected) return Promise.resolve();
    var conversationId = state.selected.conversationId;
    return api("GET", "/api/conversations/" + conversationId + "/messages?after=" + state.lastMessageId)
      .then(function (data) {
        if (state.selected && state.selected.conversationId === conversationId && data.messages.length) {
          var note = document.querySelector("#transcript .transcript-note");
          if (note) note.remove();
          appendMessages(data.messages.filter(function (m) { return m.id > state.lastMessageId; }));
        }
      });
  }

  function clearSelection() {
    state.selected = null;
    state.pending = [];
    $("conv-title").textContent = "Select a conversation";
    $("conv-meta").textContent = "Pick a customer from the queue to read their conversation.";
    $("transcript").replaceChildren();
    $("context-facts").replaceChildren();
    $("earlier-list").replaceChildren();
    $("context-body").hidden = true;
    $("context-empty").hidden = false;
    $("reply-status").textContent = "";
    $("reply-text").value = "";
    renderLists();
    updateControls();
  }

  // --- Actions --------------------------------------------------------------------
  function withBusy(promise) {
    state.busy = true;
    updateControls();
    return promise.then(function (value) { state.busy = false; updateControls(); return value; },
      function (error) { state.busy = false; updateControls(); throw error; });
  }

  $("claim-button").addEventListener("click", function () {
    if (!state.selected) return;
    var handoffId = state.selected.handoffId;
    withBusy(api("POST", "/api/handoffs/" + handoffId + "/claim")).then(function (data) {
      var entry = findEntry(handoffId);
      state.queue = state.queue.filter(function (e) { return e.handoff_id !== handoffId; });
      if (entry) state.mine.push(Object.assign({}, entry, { status: "claimed" }));
      renderLists();
      updateControls();
      notify("You have this conversation now. Say hello!", "info");
      $("reply-text").focus();
    }).catch(function (error) { notify(error.message); });
  });

  function sendReply() {
    var box = $("reply-text");
    var text = box.value.trim();
    if (!text || !state.selected) return;
    var handoffId = state.selected.handoffId;
    var status = $("reply-status");
    status.className = "reply-status";
    status.textContent = "Sending…";
    withBusy(api("POST", "/api/handoffs/" + handoffId + "/reply", { text: text })).then(function () {
      status.textContent = "Delivered";
      box.value = "";
      var node = messageNode({ sender: "agent", text: text }, true);
      $("transcript").appendChild(node);
      state.pending.push({ text: text, node: node });
      $("transcript").scrollTop = $("transcript").scrollHeight;
      box.focus();
    }).catch(function (error) {
      // The text stays in the box so the agent can retry.
      status.className = "reply-status error";
      status.textContent = error.message;
    });
  }
  $("reply-form").addEventListener("submit", function (event) { event.preventDefault(); sendReply(); });
  $("reply-text").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); sendReply(); }
  });

  $("resolve-button").addEventListener("click", function () {
    if (!state.selected) return;
    var handoffId = state.selected.handoffId;
    withBusy(api("POST", "/api/handoffs/" + handoffId + "/resolve")).then(function (data) {
      state.mine = state.mine.filter(function (e) { return e.handoff_id !== handoffId; });
      clearSelection();
      notify(data.survey_offered ? "Resolved. The bot took over and offered the survey."
        : "Resolved. The bot took over (the survey could not be offered).", "info");
    }).catch(function (error) { notify(error.message); });
  });

  $("availability").addEventListener("click", function () {
    var wanted = $("availability").getAttribute("aria-checked") !== "true";
    api("POST", "/api/me/availability", { available: wanted }).then(function (data) {
      renderAvailability(data.available);
    }).catch(function (error) { notify(error.message); });
  });

  // The live stream (console_live.js) keeps the agent online and drives the refreshes.
  window.serambiConsole = {
    state: state, api: api, el: el, notify: notify, select: select, formatWait: formatWait,
    refreshQueue: refreshQueue, refreshMessages: refreshMessages, updateControls: updateControls,
    withBusy: withBusy, clearSelection: clearSelection
  };
  setInterval(tick, 1000);
})();
