// The auditors' console (docs/audit.md, "The console"). Two modes:
//   - live (GET /console of kezek serve): asks for an Auditor or EducationDepartment key, then reads
//     /v1/audit/statistics (?as_of=), /v1/audit/chain and /v1/applications/{n}/explain;
//   - static (kezek stats --html): window.KEZEK_DATA holds the statistics and the chain's status.
// Every text that comes from data (names) is set with textContent, never as HTML.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const data = window.KEZEK_DATA || null;
  let key = null;
  let stats = null;
  let asOf = "";
  const charts = [];

  function text(el, value) { el.textContent = value === undefined || value === null ? "" : String(value); return el; }
  function element(tag, value, cls) { const e = document.createElement(tag); if (cls) e.className = cls; return text(e, value); }
  function iso(ms) { return ms ? new Date(ms).toISOString().replace(".000Z", "Z") : "—"; }
  function days(v) { return v === null || v === undefined ? "—" : v.toFixed(1); }

  async function get(path) {
    const response = await fetch(path, { headers: { "Authorization": "Bearer " + key } });
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const why = body && body.code ? body.code + ": " + body.message : "HTTP " + response.status;
      const error = new Error(why);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function showChain(chain) {
    const status = $("chain-status");
    status.replaceChildren();
    if (chain.verified) {
      status.append(element("span", "verified", "ok"),
                    document.createTextNode(" — " + chain.records + " records, every record chained to the one before"));
    } else {
      status.append(element("span", "NOT verified", "bad"), document.createTextNode(" — " + chain.problem));
    }
    text($("chain-head"), "head " + chain.head + (chain.source ? "  (" + chain.source + ")" : ""));
  }

  function localityName(row) { return row.locality === 0 ? "Казахстан" : (row.locality_name || String(row.locality)); }

  function drawQueueChart() {
    const holder = $("queue-chart");
    holder.replaceChildren();
    const locality = Number($("locality").value || 0);
    const months = [...new Set(stats.queue.map((r) => r.month))].sort();
    const series = { general: new Map(), special: new Map() };
    for (const r of stats.queue) if (r.locality === locality) series[r.queue].set(r.month, r.waiting);
    const xs = months.map((m) => Date.UTC(Number(m.slice(0, 4)), Number(m.slice(5, 7)) - 1, 1) / 1000);
    const general = months.map((m) => series.general.get(m) ?? 0);
    const special = months.map((m) => series.special.get(m) ?? 0);
    const chart = new uPlot({
      width: Math.max(400, holder.clientWidth || 800), height: 300,
      series: [{}, { label: "general queue", stroke: "#1f6feb", width: 2 }, { label: "special queue", stroke: "#d9480f", width: 2 }],
      axes: [{}, { size: 60 }],
      scales: { x: { time: true } },
    }, [xs, general, special], holder);
    charts.push(chart);
    holder.dataset.points = String(xs.length);
  }

  function drawFlowsChart() {
    const holder = $("flows-chart");
    holder.replaceChildren();
    const rows = stats.flows.filter((r) => r.locality !== 0 && r.queue === "general");
    const names = rows.map(localityName);
    const xs = rows.map((_, i) => i);
    // Side by side: issued left of the locality's tick, used right of it.
    const bars = (align) => (uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.35, 40], align }) : undefined);
    const chart = new uPlot({
      width: Math.max(400, holder.clientWidth || 800), height: 300,
      series: [{},
               { label: "vouchers issued", stroke: "#1f6feb", fill: "rgba(31,111,235,.35)", paths: bars(-1), points: { show: false } },
               { label: "vouchers used", stroke: "#2f9e44", fill: "rgba(47,158,68,.35)", paths: bars(1), points: { show: false } }],
      scales: { x: { time: false, range: [-0.5, Math.max(0.5, rows.length - 0.5)] },
                y: { range: (u, min, max) => [0, Math.max(1, max) * 1.1] } },
      axes: [{ values: (u, ticks) => ticks.map((t) => (Number.isInteger(t) && names[t] !== undefined ? names[t] : "")), rotate: -30, size: 110 },
             { size: 60 }],
    }, [xs, rows.map((r) => r.vouchers.issued), rows.map((r) => r.vouchers.used)], holder);
    charts.push(chart);
    holder.dataset.points = String(xs.length);
  }

  function fillTables() {
    const flows = $("flows");
    const head = ["locality", "queue", "filed", "waiting", "vouchers issued", "used", "declined", "expired", "returned",
                  "stop-list in", "back to queue", "to voucher p50 d", "p90 d", "to enrollment p50 d", "p90 d"];
    const tr = document.createElement("tr");
    for (const h of head) tr.append(element("th", h));
    flows.tHead.replaceChildren(tr);
    const body = flows.tBodies[0];
    body.replaceChildren();
    for (const r of stats.flows) {
      const row = document.createElement("tr");
      row.dataset.locality = String(r.locality);
      row.dataset.queue = r.queue;
      if (r.locality === 0) row.className = "country";
      const cells = [localityName(r), r.queue, r.filed, r.waiting, r.vouchers.issued, r.vouchers.used, r.vouchers.declined,
                     r.vouchers.expired, r.vouchers.returned, r.stop_list.entered, r.stop_list.returned_to_queue,
                     days(r.wait_to_voucher_days.p50), days(r.wait_to_voucher_days.p90),
                     days(r.wait_to_enrollment_days.p50), days(r.wait_to_enrollment_days.p90)];
      cells.forEach((c, i) => { const td = element("td", c); if (i === 3) td.className = "waiting"; row.append(td); });
      body.append(row);
    }
    const kg = $("kindergartens");
    const khead = document.createElement("tr");
    for (const h of ["ДО", "name", "locality", "enrollment requests", "enrollments"]) khead.append(element("th", h));
    kg.tHead.replaceChildren(khead);
    kg.tBodies[0].replaceChildren(...stats.kindergartens.map((k) => {
      const row = document.createElement("tr");
      for (const c of [k.kindergarten, k.name, k.locality, k.enrollment_requests, k.enrollments]) row.append(element("td", c));
      return row;
    }));
  }

  function fillLocalities() {
    const select = $("locality");
    const chosen = select.value || "0";
    const seen = new Map();
    for (const r of stats.flows) if (!seen.has(r.locality)) seen.set(r.locality, localityName(r));
    select.replaceChildren(...[...seen].map(([id, name]) => { const o = element("option", name); o.value = String(id); return o; }));
    select.value = seen.has(Number(chosen)) ? chosen : "0";
  }

  function render() {
    for (const c of charts.splice(0)) c.destroy();
    text($("where"), "as of record " + stats.as_of.sequence + " (engine time " + iso(stats.as_of.engine_time_ms) + ")" +
         (asOf ? " — the end of " + asOf + ", Kazakhstan time" : ""));
    fillLocalities();
    fillTables();
    drawQueueChart();
    drawFlowsChart();
    document.body.dataset.ready = "true";
  }

  async function loadLive() {
    document.body.dataset.ready = "false";
    const query = asOf ? "?as_of=" + encodeURIComponent(asOf) : "";
    const [s, chain] = await Promise.all([get("/v1/audit/statistics" + query), get("/v1/audit/chain")]);
    stats = s;
    showChain(chain);
    render();
  }

  async function explain(number) {
    const result = $("explain-result");
    result.replaceChildren();
    text($("explain-error"), "");
    try {
      const e = await get("/v1/applications/" + number + "/explain" + (asOf ? "?as_of=" + encodeURIComponent(asOf) : ""));
      result.append(element("p", "application " + e.application + ": " + e.status +
                                 (e.position ? ", place " + e.position : "") + ", " + e.changes_total + " changes"));
      for (const c of e.changes) {
        const div = element("div", iso(c.engine_time_ms) + "  " + (c.text_ru || ""), "change");
        div.dataset.delta = String(c.delta || 0);
        if (c.events && c.events.length) {
          const list = element("div", c.events.map((ev) => (ev.delta > 0 ? "+" : "") + ev.delta + " " + ev.cause +
                                                          " (application " + ev.application + ", record " + ev.sequence + ")").join("; "),
                               "events");
          div.append(list);
        }
        result.append(div);
      }
      document.body.dataset.explained = String(number);
    } catch (error) {
      text($("explain-error"), error.message);
    }
  }

  function start() {
    if (data) {  // kezek stats --html
      document.body.classList.add("static");
      $("main").hidden = false;
      stats = data.statistics;
      showChain(data.chain);
      render();
      return;
    }
    const stored = sessionStorage.getItem("kezek-key");
    const open = async () => {
      try {
        await loadLive();
        $("login").hidden = true;
        $("main").hidden = false;
        text($("login-error"), "");
      } catch (error) {
        sessionStorage.removeItem("kezek-key");
        $("login").hidden = false;
        text($("login-error"), error.message);
      }
    };
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      key = $("key").value.trim();
      sessionStorage.setItem("kezek-key", key);
      open();
    });
    $("as-of-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const previous = asOf;
      asOf = $("as-of-date").value;
      text($("as-of-error"), "");
      try { await loadLive(); } catch (error) { asOf = previous; text($("as-of-error"), error.message); }
    });
    $("as-of-now").addEventListener("click", async () => { asOf = ""; $("as-of-date").value = ""; await loadLive(); });
    $("explain-form").addEventListener("submit", (event) => { event.preventDefault(); explain($("explain-number").value.trim()); });
    $("locality").addEventListener("change", () => { for (const c of charts.splice(0)) c.destroy(); drawQueueChart(); drawFlowsChart(); });
    if (stored) { key = stored; open(); } else { $("login").hidden = false; }
  }
  start();
})();
