/* CX dashboard: fetches the figures in parallel and draws them (inline SVG, no libraries). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("dashboard-config").textContent);
  var T = config.text;
  var locale = config.lang === "id" ? "id-ID" : "en-GB";
  var SVG = "http://www.w3.org/2000/svg";
  var query = config.query;

  // --- Filters: presets submit at once; touching a date switches to a custom range.
  var form = document.getElementById("filters");
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "from" || target.name === "to") {
      form.querySelector('input[name="range"][value="custom"]').checked = true;
    }
    if (target.name === "range" && target.value !== "custom") { submit(); }
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });
  function submit() {
    var data = new FormData(form);
    var params = new URLSearchParams();
    var range = data.get("range") || "30";
    params.set("range", range);
    if (range === "custom") { params.set("from", data.get("from")); params.set("to", data.get("to")); }
    ["channel", "language", "grain"].forEach(function (name) {
      var value = data.get(name);
      if (value && !(name === "grain" && value === "day")) { params.set(name, value); }
    });
    window.location.search = params.toString();
  }

  // --- Formatting
  function isRate(metric) { return /_rate$|_percent$/.test(metric); }
  function isDuration(metric) { return /_s$/.test(metric); }
  function num(value, digits) {
    return new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
  }
  function duration(seconds) {
    var s = Math.round(Math.abs(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    if (h) { return h + "h " + m + "m"; }
    if (m) { return m + "m " + (r < 10 ? "0" : "") + r + "s"; }
    return r + "s";
  }
  function fmt(metric, value) {
    if (value === null || value === undefined) { return "–"; }
    if (metric === "conversations") { return num(value, 0); }
    if (isDuration(metric)) { return duration(value); }
    if (isRate(metric)) { return num(value, 1) + "%"; }
    if (/_mean$/.test(metric)) { return num(value, 2); }
    return num(value, 1);
  }
  function fmtChange(metric, change) {
    if (change === null || change === undefined) { return ""; }
    var sign = change > 0 ? "+" : change < 0 ? "−" : "±";
    if (metric === "conversations") { return sign + num(Math.abs(change), 0); }
    if (isDuration(metric)) { return sign + duration(change); }
    if (isRate(metric)) { return sign + num(Math.abs(change), 1) + " pp"; }
    if (/_mean$/.test(metric)) { return sign + num(Math.abs(change), 2); }
    return sign + num(Math.abs(change), 1);
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function group(value) { return value === null || value === undefined ? T.none : String(value); }

  // --- Fetching
  function get(path) {
    return fetch(path + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (reply) {
        if (reply.status === 401) { window.location.href = "/login?next=/dashboard"; }
        if (!reply.ok) { throw new Error(path + ": " + reply.status); }
        return reply.json();
      });
  }
  function failed(error) {
    document.getElementById("dash-error").hidden = false;
    if (window.console) { window.console.error(error); }
  }

  // --- KPI cards
  function renderKpis(doc) {
    config.kpis.forEach(function (metric) {
      var card = document.querySelector('.kpi[data-metric="' + metric + '"]');
      var v = doc.metrics[metric];
      var value = card.querySelector(".kpi-value");
      value.textContent = fmt(metric, v.current);
      value.setAttribute("data-value", v.current === null ? "" : String(v.current));
      var delta = card.querySelector(".kpi-delta");
      delta.setAttribute("data-change", v.change === null ? "" : String(v.change));
      if (v.change === null) {
        delta.textContent = T.previous + ": " + fmt(metric, v.previous);
        delta.className = "kpi-delta neutral";
        return;
      }
      var direction = config.direction[metric] || 0;
      var quality = v.change === 0 || direction === 0 ? "neutral" : v.change * direction > 0 ? "good" : "bad";
      var arrow = v.change > 0 ? "▲" : v.change < 0 ? "▼" : "■";
      delta.className = "kpi-delta " + quality;
      delta.textContent = "";
      delta.appendChild(el("span", { "aria-hidden": "true" }, arrow + " "));
      delta.appendChild(document.createTextNode(v.change === 0 ? T.no_change : fmtChange(metric, v.change)));
      if (quality !== "neutral") { delta.appendChild(el("span", { "class": "sr-only" }, " (" + T[quality === "good" ? "better" : "worse"] + ")")); }
      delta.appendChild(el("span", { "class": "prev" }, " · " + T.previous + " " + fmt(metric, v.previous)));
    });
    document.getElementById("kpis").setAttribute("aria-busy", "false");
    if (window.performance && performance.mark) { performance.mark("kpis-rendered"); }
  }

  // --- Charts
  function niceMax(max, metric) {
    if (isRate(metric)) { return max > 60 ? 100 : Math.max(20, Math.ceil(max / 20) * 20); }
    if (max <= 0) { return 1; }
    var power = Math.pow(10, Math.floor(Math.log10(max)));
    var steps = [1, 2, 4, 6, 8, 10];
    for (var i = 0; i < steps.length; i++) { if (steps[i] * power >= max) { return steps[i] * power; } }
    return 10 * power;
  }
  function drawChart(figure, metric, points) {
    var W = 560, H = 230, L = 52, R = 14, TOP = 14, B = 44;
    var id = "chart-" + metric;
    figure.textContent = "";
    var caption = el("figcaption", { id: id + "-title" }, T["m." + metric] + (isRate(metric) ? " (%)" : ""));
    figure.appendChild(caption);
    var values = points.map(function (p) { return p[1]; });
    var max = niceMax(Math.max.apply(null, values.filter(function (v) { return v !== null; }).concat([0])), metric);
    var chart = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-labelledby": id + "-t " + id + "-d", "class": "chart-svg" });
    chart.appendChild(svg("title", { id: id + "-t" }, T["m." + metric]));
    chart.appendChild(svg("desc", { id: id + "-d" }, T.period + ": " + (points.length ? points[0][0] + " – " + points[points.length - 1][0] : "")));
    var plotW = W - L - R, plotH = H - TOP - B;
    function x(i) { return L + (points.length <= 1 ? plotW / 2 : (i + 0.5) * plotW / points.length); }
    function y(v) { return TOP + plotH - (v / max) * plotH; }
    // Grid and y axis labels.
    for (var g = 0; g <= 4; g++) {
      var gv = max * g / 4;
      chart.appendChild(svg("line", { x1: L, x2: W - R, y1: y(gv), y2: y(gv), "class": "grid" }));
      chart.appendChild(svg("text", { x: L - 6, y: y(gv) + 4, "class": "tick", "text-anchor": "end" }, isRate(metric) ? num(gv, 0) + "%" : num(gv, gv % 1 ? 1 : 0)));
    }
    chart.appendChild(svg("line", { x1: L, x2: W - R, y1: TOP + plotH, y2: TOP + plotH, "class": "axis" }));
    // X axis labels: at most ~7.
    var every = Math.max(1, Math.ceil(points.length / 7));
    points.forEach(function (p, i) {
      if (i % every === 0 || i === points.length - 1 && points.length < 8) {
        chart.appendChild(svg("text", { x: x(i), y: TOP + plotH + 16, "class": "tick", "text-anchor": "middle" }, p[0].slice(5)));
      }
    });
    chart.appendChild(svg("text", { x: L + plotW / 2, y: H - 4, "class": "axis-label", "text-anchor": "middle" }, T.period + " (" + (points.length ? points[0][0].slice(0, 4) : "") + ")"));
    chart.appendChild(svg("text", { x: 12, y: TOP + plotH / 2, "class": "axis-label", "text-anchor": "middle", transform: "rotate(-90 12 " + (TOP + plotH / 2) + ")" }, isRate(metric) ? "%" : T["m." + metric]));
    if (metric === "conversations") {
      var bw = Math.max(2, plotW / Math.max(points.length, 1) * 0.7);
      points.forEach(function (p, i) {
        var v = p[1] || 0;
        var bar = svg("rect", { x: x(i) - bw / 2, y: y(v), width: bw, height: Math.max(0, TOP + plotH - y(v)), "class": "bar", tabindex: "-1" });
        bar.appendChild(svg("title", {}, p[0] + ": " + fmt(metric, p[1])));
        chart.appendChild(bar);
      });
    } else {
      var path = "", pen = false;
      points.forEach(function (p, i) {
        if (p[1] === null) { pen = false; return; }
        path += (pen ? " L" : " M") + x(i).toFixed(1) + " " + y(p[1]).toFixed(1);
        pen = true;
      });
      chart.appendChild(svg("path", { d: path.trim(), "class": "line" }));
      points.forEach(function (p, i) {
        if (p[1] === null) { return; }
        var dot = svg("circle", { cx: x(i), cy: y(p[1]), r: points.length > 40 ? 2 : 3.5, "class": "dot" });
        dot.appendChild(svg("title", {}, p[0] + ": " + fmt(metric, p[1])));
        chart.appendChild(dot);
      });
    }
    figure.appendChild(chart);
    // The values as a table, for screen readers and for reading exact figures.
    var details = el("details", { "class": "chart-table" });
    details.appendChild(el("summary", {}, T.values));
    var table = el("table", { "class": "data" });
    var head = el("tr");
    head.appendChild(el("th", { scope: "col" }, T.period));
    head.appendChild(el("th", { scope: "col" }, T["m." + metric]));
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    points.forEach(function (p) {
      var row = el("tr");
      row.appendChild(el("th", { scope: "row" }, p[0]));
      row.appendChild(el("td", { "class": "num", "data-value": p[1] === null ? "" : String(p[1]) }, fmt(metric, p[1])));
      body.appendChild(row);
    });
    details.appendChild(table);
    figure.appendChild(details);
  }
  function renderCharts(doc) {
    config.series.forEach(function (metric) {
      drawChart(document.querySelector('.chart[data-series="' + metric + '"]'), metric, doc.series[metric]);
    });
    document.getElementById("charts").setAttribute("aria-busy", "false");
  }

  // --- Tables
  function table(container, caption, columns, rows) {
    var holder = container.querySelector(".scroll");
    holder.textContent = "";
    holder.setAttribute("aria-busy", "false");
    if (!rows.length) { holder.appendChild(el("p", { "class": "empty" }, T.empty)); return; }
    var t = el("table", { "class": "data" });
    t.appendChild(el("caption", { "class": "sr-only" }, caption));
    var head = el("tr");
    columns.forEach(function (c) { head.appendChild(el("th", { scope: "col", "class": c.num ? "num" : "" }, c.label)); });
    t.appendChild(el("thead")).appendChild(head);
    var body = t.appendChild(el("tbody"));
    rows.forEach(function (row) {
      var tr = el("tr");
      columns.forEach(function (c, i) {
        var cell = el(i === 0 ? "th" : "td", i === 0 ? { scope: "row" } : {});
        if (c.num) { cell.className = "num"; }
        if (c.key) { cell.setAttribute("data-key", c.key); }
        var v = c.value(row);
        if (c.raw) { var raw = c.raw(row); cell.setAttribute("data-value", raw === null || raw === undefined ? "" : String(raw)); }
        if (v instanceof Node) { cell.appendChild(v); } else { cell.textContent = v; }
        tr.appendChild(cell);
      });
      body.appendChild(tr);
    });
    holder.appendChild(t);
  }
  function renderBreakdown(by, doc) {
    var container = document.querySelector('[data-breakdown="' + by + '"]');
    var rows = doc.groups.slice().sort(function (a, b) { return b.metrics.conversations - a.metrics.conversations; });
    var columns = [{ label: T[by] || T.group, key: by, value: function (r) { return group(r[by]); }, raw: function (r) { return r[by]; } }];
    config.breakdownColumns.forEach(function (metric) {
      columns.push({ label: T["m." + metric], key: metric, num: true, value: function (r) { return fmt(metric, r.metrics[metric]); }, raw: function (r) { return r.metrics[metric]; } });
    });
    table(container, T["by_" + by], columns, rows);
  }
  function transcriptLink(id) {
    return el("a", { href: "/dashboard/conversations/" + id + "?back=" + encodeURIComponent(query) }, T.open + " #" + id);
  }
  function renderVoice(kind, doc) {
    var container = document.querySelector('[data-voice="' + kind + '"]');
    var columns;
    if (kind === "unrecognised") {
      columns = [
        { label: T.question, key: "text", value: function (r) { return r.text; } },
        { label: T.count, key: "count", num: true, value: function (r) { return num(r.count, 0); }, raw: function (r) { return r.count; } },
        { label: T.conversations_col, key: "conversations", num: true, value: function (r) { return num(r.conversations, 0); }, raw: function (r) { return r.conversations; } },
        { label: T.last_seen, key: "last_at", value: function (r) { return (r.last_at || "").replace("T", " ").slice(0, 16); } },
        { label: T.transcript, value: function (r) { return transcriptLink(r.example_conversation_id); } },
      ];
    } else if (kind === "low-csat-topics") {
      columns = [
        { label: T.topic, key: "topic", value: function (r) { return r.topic; } },
        { label: T.answers, key: "answers", num: true, value: function (r) { return num(r.answers, 0); }, raw: function (r) { return r.answers; } },
        { label: T["m.csat_percent"], key: "csat_percent", num: true, value: function (r) { return fmt("csat_percent", r.csat_percent); }, raw: function (r) { return r.csat_percent; } },
      ];
    } else if (kind === "escalation-topics") {
      columns = [
        { label: T.topic, key: "topic", value: function (r) { return r.topic; } },
        { label: T.closed, key: "closed", num: true, value: function (r) { return num(r.closed, 0); }, raw: function (r) { return r.closed; } },
        { label: T.escalated, key: "escalated", num: true, value: function (r) { return num(r.escalated, 0); }, raw: function (r) { return r.escalated; } },
        { label: T["m.escalation_rate"], key: "escalation_rate", num: true, value: function (r) { return fmt("escalation_rate", r.escalation_rate); }, raw: function (r) { return r.escalation_rate; } },
      ];
    } else if (kind === "negative-topics") {
      columns = [
        { label: T.topic, key: "topic", value: function (r) { return r.topic; } },
        { label: T.scored, key: "scored", num: true, value: function (r) { return num(r.scored, 0); }, raw: function (r) { return r.scored; } },
        { label: T.negative, key: "negative", num: true, value: function (r) { return num(r.negative, 0); }, raw: function (r) { return r.negative; } },
        { label: T["m.negative_sentiment_percent"], key: "negative_percent", num: true, value: function (r) { return fmt("negative_percent", r.negative_percent); }, raw: function (r) { return r.negative_percent; } },
      ];
    } else {
      columns = [
        { label: T.when, key: "answered_at", value: function (r) { return (r.answered_at || "").replace("T", " ").slice(0, 16); } },
        { label: T.score, key: "score", num: true, value: function (r) { return String(r.score); }, raw: function (r) { return r.score; } },
        { label: T.topic, key: "topic", value: function (r) { return group(r.topic); } },
        { label: T.channel, key: "channel", value: function (r) { return r.channel + " · " + group(r.language); } },
        { label: T.comment, key: "comment", value: function (r) { return r.comment || "–"; } },
        { label: T.transcript, value: function (r) { return transcriptLink(r.conversation_id); } },
      ];
    }
    table(container, kind, columns, doc.rows);
  }

  // --- Go: every section in parallel; mark when all figures are on the page.
  // Quick figures first: the browser runs at most 6 requests at once per host.
  var jobs = [
    get("/api/dashboard/summary").then(renderKpis),
    get("/api/dashboard/timeseries").then(renderCharts),
  ];
  ["unrecognised", "low-csat-topics", "escalation-topics", "low-scores", "negative-topics"].forEach(function (kind) {
    jobs.push(get("/api/dashboard/voice/" + kind).then(function (doc) { renderVoice(kind, doc); }));
  });
  config.groupings.forEach(function (by) {
    jobs.push(get("/api/dashboard/breakdown/" + by).then(function (doc) { renderBreakdown(by, doc); }));
  });
  Promise.all(jobs.map(function (job) { return job.catch(function (error) { failed(error); return "failed"; }); }))
    .then(function (results) {
      if (window.performance && performance.mark) { performance.mark("figures-rendered"); }
      document.body.setAttribute("data-ready", results.indexOf("failed") >= 0 ? "error" : "yes");
    });
})();
