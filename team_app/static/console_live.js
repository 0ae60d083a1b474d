/* Live console: one server-sent-events stream (/api/live) instead of polling, and the alerts
 * (sound, desktop notification, tab title) when a customer enters the queue or writes in a
 * conversation the agent holds. The browser's EventSource reconnects by itself and sends
 * Last-Event-ID, so the server replays what was missed; every (re)connection also refreshes
 * the queue and the open transcript once. */
(function () {
  "use strict";

  var app = window.serambiConsole;
  var $ = function (id) { return document.getElementById(id); };
  var baseTitle = document.title;
  var unseen = 0;
  var knownQueue = null;          // handoff ids seen in the queue; null until the first load
  var audio = null;
  var pendingQueue = null;
  var refreshAgain = false;  // a change announced while a refresh was in flight

  // --- Alerts ------------------------------------------------------------------------
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.4);
    } catch (error) { /* no audio device: the title and notification still tell */ }
  }

  function alertAgent(title, body) {
    unseen += 1;
    document.title = "(" + unseen + ") " + title + " · " + baseTitle;
    window.serambiAlerts = (window.serambiAlerts || []).concat([{ title: title, body: body }]);
    beep();
    if ("Notification" in window && Notification.permission === "granted") {
      try { new Notification(title, { body: body, tag: "serambi-" + title }); }
      catch (error) { /* some browsers only notify from a service worker */ }
    }
  }
  function seen() {
    unseen = 0;
    document.title = baseTitle;
  }
  window.addEventListener("focus", seen);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) seen(); });

  // Permission is asked on a click (browsers ignore requests made without a user gesture).
  var enable = $("alerts-button");
  function showPermission() {
    if (!enable) return;
    var state = "Notification" in window ? Notification.permission : "unsupported";
    enable.hidden = state !== "default";
  }
  if (enable) {
    enable.addEventListener("click", function () {
      beep();  // unlocks audio on this gesture too
      Notification.requestPermission().then(showPermission);
    });
  }
  showPermission();

  // --- Refreshes driven by events -------------------------------------------------
  function refreshQueue() {
    // Several events in a burst make one request, and one more after it: the
    // request in flight may have been answered before the change announced.
    if (pendingQueue) {
      refreshAgain = true;
      return pendingQueue;
    }
    pendingQueue = app.refreshQueue().then(function (data) {
      pendingQueue = null;
      if (refreshAgain) {
        refreshAgain = false;
        refreshQueue().catch(report);
      }
      var ids = data.queue.map(function (entry) { return entry.handoff_id; });
      if (knownQueue) {
        data.queue.filter(function (entry) { return knownQueue.indexOf(entry.handoff_id) < 0; })
          .forEach(function (entry) {
            alertAgent("New customer waiting", entry.opening_request || "A customer asked for an agent");
          });
      }
      knownQueue = ids;
      document.dispatchEvent(new CustomEvent("serambi:queue", { detail: data }));
      return data;
    }, function (error) { pendingQueue = null; refreshAgain = false; throw error; });
    return pendingQueue;
  }

  function isMine(conversationId) {
    return app.state.mine.some(function (entry) { return entry.conversation_id === conversationId; });
  }

  function onMessage(data) {
    if (app.state.selected && app.state.selected.conversationId === data.conversation_id) {
      app.refreshMessages();
    }
    if (data.sender !== "customer") return;
    if (isMine(data.conversation_id)) {
      alertAgent("Customer wrote", "Conversation #" + data.conversation_id);
    } else if (app.state.queue.some(function (e) { return e.conversation_id === data.conversation_id; })) {
      refreshQueue();
    }
  }

  function setLive(status) {
    var node = $("live-status");
    if (!node) return;
    node.dataset.state = status;
    node.textContent = status === "open" ? "Live" : "Reconnecting…";
  }

  function report(error) { app.notify("Connection problem: " + error.message + ". Retrying…"); }

  function connect() {
    var source = new EventSource("/api/live");
    source.addEventListener("hello", function () {
      setLive("open");
      refreshQueue().catch(report);
      app.refreshMessages().catch(report);
    });
    source.addEventListener("queue", function () { refreshQueue().catch(report); });
    source.addEventListener("presence", function () { refreshQueue().catch(report); });
    source.addEventListener("message", function (event) { onMessage(JSON.parse(event.data)); });
    source.addEventListener("note", function (event) {
      var data = JSON.parse(event.data);
      document.dispatchEvent(new CustomEvent("serambi:note", { detail: data }));
    });
    source.onerror = function () {
      setLive("retrying");
      if (source.readyState === EventSource.CLOSED) {
        // Refused (e.g. the session ended): the API call redirects to the login page if so.
        setTimeout(function () { app.refreshQueue().catch(function () {}); connect(); }, 3000);
      }
    };
    window.serambiLive = source;
  }

  connect();
})();
