/* Fast answers: canned responses inserted with "/" + the first letters of their shortcut,
 * in the customer's language by default, and keyboard shortcuts: Alt+C claim, Alt+R resolve,
 * Alt+N next conversation. */
(function () {
  "use strict";

  var app = window.serambiConsole;
  var $ = function (id) { return document.getElementById(id); };
  var LANGUAGES = { id: "Indonesian", en: "English" };
  var canned = { conversationId: null, language: null, items: [] };
  var menu = { items: [], index: 0, token: null };

  document.addEventListener("serambi:selected", function (event) {
    var context = event.detail;
    canned.conversationId = context.conversation_id;
    canned.language = context.language || "id";
    canned.items = [];
    $("reply-language").textContent = "Replying in " + (LANGUAGES[canned.language] || canned.language) +
      " · type / for canned responses";
    $("reply-language").lang = canned.language;
    $("reply-text").lang = canned.language;
    app.api("GET", "/api/canned?conversation_id=" + context.conversation_id).then(function (data) {
      if (canned.conversationId !== context.conversation_id) return;
      canned.items = data.responses;
      if (document.activeElement === $("reply-text")) updateMenu();  // "/re" typed before they arrived
    }).catch(function (error) { app.notify("Canned responses unavailable: " + error.message); });
  });

  // "/ref" right before the caret, at the start of the box or after a space.
  function slashToken() {
    var box = $("reply-text");
    var before = box.value.slice(0, box.selectionStart);
    var match = /(^|\s)\/([\w-]*)$/.exec(before);
    return match ? { start: before.length - match[2].length - 1, end: box.selectionStart, query: match[2].toLowerCase() } : null;
  }

  function closeMenu() {
    menu.items = [];
    menu.token = null;
    $("canned-menu").hidden = true;
    $("reply-text").removeAttribute("aria-activedescendant");
  }

  function renderMenu() {
    var list = $("canned-menu");
    list.replaceChildren.apply(list, menu.items.map(function (item, index) {
      var option = app.el("li", "canned-option");
      option.id = "canned-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", index === menu.index ? "true" : "false");
      option.appendChild(app.el("code", null, "/" + item.shortcut));
      option.appendChild(app.el("span", "canned-title", item.title));
      option.appendChild(app.el("span", "canned-preview", item.text));
      option.addEventListener("mousedown", function (event) { event.preventDefault(); choose(index); });
      return option;
    }));
    list.hidden = false;
    $("reply-text").setAttribute("aria-activedescendant", "canned-" + menu.index);
  }

  function updateMenu() {
    var token = slashToken();
    var items = token ? canned.items.filter(function (r) { return r.shortcut.indexOf(token.query) === 0; }) : [];
    if (!items.length) { closeMenu(); return; }
    menu.items = items;
    menu.token = token;
    menu.index = Math.min(menu.index, items.length - 1);
    renderMenu();
  }

  function choose(index) {
    var item = menu.items[index], token = menu.token, box = $("reply-text");
    if (!item || !token) return;
    box.value = box.value.slice(0, token.start) + item.text + box.value.slice(token.end);
    var caret = token.start + item.text.length;
    box.setSelectionRange(caret, caret);
    closeMenu();
    box.focus();
  }

  $("reply-text").addEventListener("input", function () { menu.index = 0; updateMenu(); });
  $("reply-text").addEventListener("blur", closeMenu);

  // Capture phase on the document: runs before the box's own Enter-sends handler.
  document.addEventListener("keydown", function (event) {
    if (event.target.id === "reply-text" && menu.items.length) {
      var keys = { ArrowDown: 1, ArrowUp: -1 };
      if (event.key in keys) {
        menu.index = (menu.index + keys[event.key] + menu.items.length) % menu.items.length;
        renderMenu();
      } else if (event.key === "Enter" || event.key === "Tab") {
        choose(menu.index);
      } else if (event.key === "Escape") {
        closeMenu();
      } else {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    var action = { KeyC: claim, KeyR: resolve, KeyN: nextConversation }[event.code];
    if (action) {
      event.preventDefault();
      action();
    }
  }, true);

  function cards() { return Array.prototype.slice.call(document.querySelectorAll("#mine-list .card, #queue-list .card")); }

  function claim() {
    if (!app.state.selected) {
      var first = document.querySelector("#queue-list .card");
      if (!first) { app.notify("Nobody is waiting.", "info"); return; }
      first.click();
    }
    if (!$("claim-button").disabled) $("claim-button").click();
  }

  function resolve() {
    if (!$("resolve-button").disabled) $("resolve-button").click();
  }

  // My conversations first, then the queue; wraps around.
  function nextConversation() {
    var all = cards();
    if (!all.length) return;
    var current = all.findIndex(function (card) { return card.getAttribute("aria-current") === "true"; });
    all[(current + 1) % all.length].click();
  }
})();
