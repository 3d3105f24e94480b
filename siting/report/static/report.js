// The report page (siting/report/page.py): language switch, sortable and filterable tables,
// card labels for phone width, and the map loaded when it scrolls into view.
"use strict";
const root = document.documentElement;
const button = document.getElementById("lang-switch");
const english = () => root.lang === "en";
const frame = document.getElementById("map-frame");

const setLanguage = (en) => {
  root.lang = en ? "en" : "zh-CN";
  button.textContent = en ? "中文" : "English";
  for (const box of document.querySelectorAll("input[data-filter]")) {
    box.placeholder = en ? box.dataset.placeholderEn : box.dataset.placeholderZh;
  }
  if (frame && frame.contentWindow) frame.contentWindow.postMessage({lang: root.lang}, "*");
};
button.addEventListener("click", () => setLanguage(!english()));
// report.html#lang=en (or ?lang=en) opens the page in English, for links and printing.
const asked = () => new URLSearchParams(location.hash.slice(1) || location.search).get("lang");
const follow = () => { if (asked()) setLanguage(asked() === "en"); };
window.addEventListener("hashchange", follow);
follow();

// The text of a cell in the shown language.
const shown = (cell) => {
  const part = cell.querySelector(`:scope > [lang="${english() ? "en" : "zh-CN"}"]`);
  return (part || cell).textContent.trim();
};
// A number at the start of a cell ("1,234", "12.5%", "3 → 17"); NaN for text and "—".
const numeric = (value) => {
  const found = value.replace(/[,¥\s]/g, "").match(/^-?\d+(\.\d+)?/);
  return found ? Number(found[0]) : NaN;
};

for (const table of document.querySelectorAll("table")) {
  const heads = [...table.querySelectorAll("thead th")];
  const body = table.tBodies[0];
  if (!body) continue;
  // Card labels (phone width): each cell carries its column's name in both languages.
  if (table.classList.contains("cards")) {
    const names = heads.map((th) => {
      const zh = th.querySelector('[lang="zh-CN"]'), en = th.querySelector('[lang="en"]');
      return [(zh || th).textContent, (en || th).textContent];
    });
    for (const row of body.rows) {
      [...row.cells].forEach((cell, i) => {
        if (names[i]) { cell.dataset.zh = names[i][0]; cell.dataset.en = names[i][1]; }
      });
    }
  }
  if (!table.classList.contains("sortable")) continue;
  heads.forEach((th, column) => {
    th.tabIndex = 0;
    const sort = () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const rows = [...body.rows].map((row, i) => {
        const value = row.cells[column] ? shown(row.cells[column]) : "";
        return {row, i, value, number: numeric(value)};
      });
      const numbers = rows.every((r) => !Number.isNaN(r.number) || !/\d/.test(r.value));
      const order = (a, b) => {
        if (numbers) {
          const x = Number.isNaN(a.number), y = Number.isNaN(b.number);
          if (x || y) return x - y;  // blanks last
          return a.number - b.number;
        }
        return a.value.localeCompare(b.value, "zh-CN");
      };
      rows.sort((a, b) => (ascending ? order(a, b) : -order(a, b)) || a.i - b.i);
      for (const r of rows) body.append(r.row);
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", (e) => { if (e.key === "Enter") sort(); });
  });
}

// Filter boxes: rows whose text contains every word typed (either language).
for (const box of document.querySelectorAll("input[data-filter]")) {
  const table = document.getElementById(box.dataset.filter);
  const count = document.querySelector(`.shown[data-for="${box.dataset.filter}"]`);
  box.addEventListener("input", () => {
    const words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    let visible = 0;
    for (const row of table.tBodies[0].rows) {
      const hay = row.textContent.toLowerCase();
      row.hidden = !words.every((w) => hay.includes(w));
      if (!row.hidden) visible += 1;
    }
    const fill = (template) => template.replace("{shown}", visible)
      .replace("{total}", count.dataset.total);
    count.querySelector('[lang="zh-CN"]').textContent = fill(count.dataset.zh);
    count.querySelector('[lang="en"]').textContent = fill(count.dataset.en);
  });
}

// The map: its page is a JSON string, put into the frame when the section comes into view.
const doc = document.getElementById("map-doc");
if (frame && doc) {
  const load = () => {
    if (frame.srcdoc) return;
    frame.addEventListener("load", () => frame.contentWindow.postMessage({lang: root.lang}, "*"));
    frame.srcdoc = JSON.parse(doc.textContent);
  };
  if ("IntersectionObserver" in window) {
    const watch = new IntersectionObserver((seen) => {
      if (seen.some((e) => e.isIntersecting)) { load(); watch.disconnect(); }
    }, {rootMargin: "400px"});
    watch.observe(frame);
  } else {
    load();
  }
}
document.body.dataset.ready = "1";
