// The History tab: the account on screen over time, from the journal's snapshots, in three Plotly
// charts: account value against SPX delta (two y-axes), the Θ/Δ ratio, and the Sebastian ratio
// with its zones. A ratio the journal could not define is null and stays null: the line breaks
// there (never a zero, never a spike). Paper data is marked on the tab and on every chart.
//
// plotly.js (4.8 MB) comes from the gateway, out of the installed plotly wheel, the first time the
// tab opens. It draws scatter charts without eval and without inline <style> elements, so the
// page's Content-Security-Policy stays `script-src 'self'; style-src 'self'`.

import { get } from "../api.js";
import { byTestId } from "../dom.js";
import { shown } from "./tabs.js";

const PLOTLY_SRC = "/static/vendor/plotly.min.js";
const COLORS = {
  value: "#58a6ff",
  delta: "#e3b341",
  ratio: "#4cc38a",
  sebastian: "#d2a8ff",
  grid: "#222a35",
  text: "#d3dae3",
  green: "rgba(76, 195, 138, 0.18)",
  red: "rgba(248, 81, 73, 0.16)",
};
const CONFIG = {
  displaylogo: false,
  responsive: true,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
};

let plotly = null;

/** window.Plotly, loading the bundle once (concurrent callers share the load). */
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotly) {
    plotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = PLOTLY_SRC;
      script.addEventListener("load", () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("no Plotly"))));
      script.addEventListener("error", () => {
        plotly = null;
        script.remove();
        reject(new Error(`${PLOTLY_SRC} did not load`));
      });
      document.head.append(script);
    });
  }
  return plotly;
}

const number = (value) => (value === null || value === undefined ? null : Number(value));

function baseLayout(title, history) {
  const windowed = history.window_start && history.window_end;
  const layout = {
    title: { text: history.paper ? `${title} — PAPER DATA` : title, x: 0.01, xanchor: "left", font: { size: 13 } },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#0e141b",
    font: { color: COLORS.text, size: 11 },
    margin: { l: 70, r: 70, t: 40, b: 36 },
    xaxis: {
      type: "date",
      gridcolor: COLORS.grid,
      linecolor: COLORS.grid,
      ...(windowed ? { range: [history.window_start, history.window_end], autorange: false } : { autorange: true }),
    },
    yaxis: { gridcolor: COLORS.grid, zerolinecolor: "#3a4656" },
    legend: { orientation: "h", x: 1, xanchor: "right", y: 1.16 },
    hovermode: "x unified",
    shapes: [],
    annotations: [],
  };
  if (history.paper) {
    layout.annotations.push({
      text: "PAPER DATA",
      xref: "paper",
      yref: "paper",
      x: 0.5,
      y: 0.5,
      showarrow: false,
      font: { size: 46, color: "rgba(227, 179, 65, 0.13)" },
    });
  }
  if (!history.points.length) {
    layout.annotations.push({ text: "No snapshots in this range", xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false, font: { size: 14 } });
  }
  return layout;
}

function line(x, y, name, color, extra = {}) {
  return { x, y, name, type: "scatter", mode: "lines", connectgaps: false, line: { color, width: 1.8 }, ...extra };
}

export function valueChart(history) {
  const x = history.points.map((p) => p.at);
  const layout = baseLayout("Account value (net liquidation) vs SPX delta", history);
  layout.yaxis = { ...layout.yaxis, title: { text: "Net liquidation ($)" }, tickprefix: "$", separatethousands: true };
  layout.yaxis2 = { title: { text: "SPX Δ" }, overlaying: "y", side: "right", showgrid: false, zerolinecolor: "#3a4656" };
  return {
    data: [
      line(x, history.points.map((p) => number(p.net_liquidation)), "Net liquidation", COLORS.value),
      line(x, history.points.map((p) => p.spx_delta), "SPX Δ", COLORS.delta, { yaxis: "y2" }),
    ],
    layout,
  };
}

export function thetaDeltaChart(history) {
  const x = history.points.map((p) => p.at);
  const layout = baseLayout("Income-to-Risk Efficiency Ratio (Θ/Δ)", history);
  layout.yaxis = { ...layout.yaxis, title: { text: "Θ / Δ" }, zeroline: true };
  return { data: [line(x, history.points.map((p) => p.theta_delta_ratio), "Θ/Δ", COLORS.ratio)], layout };
}

export function sebastianChart(history) {
  const x = history.points.map((p) => p.at);
  const y = history.points.map((p) => p.sebastian_ratio);
  const band = history.band;
  const highest = Math.max(band.red_above + 0.1, ...y.filter((v) => v !== null).map((v) => v * 1.08));
  const zone = (y0, y1, fillcolor, name) => ({
    type: "rect",
    name,
    xref: "paper",
    x0: 0,
    x1: 1,
    yref: "y",
    y0,
    y1,
    fillcolor,
    line: { width: 0 },
    layer: "below",
  });
  const layout = baseLayout("Sebastian Ratio (|Θ|/|V|)", history);
  layout.yaxis = { ...layout.yaxis, title: { text: "|Θ| / |V|" }, range: [0, highest], autorange: false };
  layout.shapes = [
    zone(0, band.red_below, COLORS.red, "red-low"),
    zone(band.green_low, band.green_high, COLORS.green, "green"),
    zone(band.red_above, highest, COLORS.red, "red-high"),
  ];
  return { data: [line(x, y, "|Θ|/|V|", COLORS.sebastian)], layout };
}

function bucketText(seconds) {
  if (!seconds) return "";
  if (seconds % 86400 === 0) return `${seconds / 86400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export function mount(store) {
  const root = byTestId("history");
  const account = byTestId("history-account");
  const paperBadge = byTestId("history-paper");
  const paperNote = byTestId("history-paper-note");
  const note = byTestId("history-note");
  const error = byTestId("history-error");
  const custom = byTestId("history-custom");
  const buttons = [...root.querySelectorAll(".range-buttons [data-range]")];
  const pressable = [...root.querySelectorAll("[data-range]")]; // the range buttons and "Show range"
  const charts = [
    [byTestId("chart-value"), valueChart],
    [byTestId("chart-theta-delta"), thetaDeltaChart],
    [byTestId("chart-sebastian"), sebastianChart],
  ];
  let range = "1W";
  let request = 0;

  function showError(reason) {
    error.textContent = reason;
    error.hidden = !reason;
  }

  function params() {
    const query = new URLSearchParams({ account: store.account, range });
    if (range === "custom") {
      const [start, end] = [custom.elements.start.value, custom.elements.end.value];
      const [y0, m0, d0] = start.split("-").map(Number);
      query.set("start", new Date(y0, m0 - 1, d0).toISOString());
      if (end) {
        const [y1, m1, d1] = end.split("-").map(Number);
        query.set("end", new Date(y1, m1 - 1, d1 + 1).toISOString());
      }
    }
    return query;
  }

  function press(active) {
    for (const button of pressable) {
      const on = button.dataset.range === active;
      button.setAttribute("aria-pressed", on ? "true" : "false");
    }
  }

  async function load() {
    const mine = ++request;
    account.textContent = store.account;
    root.dataset.loading = "true";
    const [answer, Plotly] = await Promise.all([
      get(`/api/history?${params()}`),
      loadPlotly().catch((exc) => ({ failed: exc.message })),
    ]);
    if (mine !== request) return;
    delete root.dataset.loading;
    if (!answer.ok) {
      showError(answer.error.reason);
      return;
    }
    if (Plotly.failed) {
      showError(`The charts cannot be drawn: ${Plotly.failed}`);
      return;
    }
    showError("");
    const history = answer.data;
    paperBadge.hidden = !history.paper;
    paperNote.hidden = !history.paper;
    const points = history.points;
    const first = points.length ? points[0].at : "";
    const last = points.length ? points[points.length - 1].at : "";
    Object.assign(root.dataset, {
      range: history.range,
      account: history.account,
      points: String(points.length),
      first,
      last,
      paper: String(history.paper),
      bucketSeconds: String(history.bucket_seconds),
    });
    note.textContent = points.length
      ? `${points.length} points, one per ${bucketText(history.bucket_seconds)}`
      : `No snapshots for ${history.account} in this range.`;
    await Promise.all(
      charts.map(([node, build]) => {
        const { data, layout } = build(history);
        return Plotly.react(node, data, layout, CONFIG);
      }),
    );
    if (mine === request) root.dataset.rendered = `${history.account}|${history.range}|${first}|${last}|${points.length}`;
  }

  for (const button of buttons) {
    button.addEventListener("click", () => {
      range = button.dataset.range;
      press(range);
      load();
    });
  }
  custom.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!custom.elements.start.value) return;
    range = "custom";
    press("custom");
    load();
  });

  // Asked afresh whenever the tab is shown (the logger may have run since) or the account changes.
  store.subscribe((s, change) => {
    if ((change.kind === "tab" && change.tab === "history") || (change.kind === "select" && shown.tab === "history")) {
      load();
    }
  });
  if (shown.tab === "history") load();
}
