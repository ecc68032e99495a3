// Logs page: the robot log (/rosout) or the system log, newest first, filtered by the car.
import { api, pollWhileVisible } from "./api.js";

const $ = (id) => document.getElementById(id);
const view = $("log-view");
const FILTER_DELAY_MS = 300; // wait for the user to stop typing before asking the car
const LEVEL_CLASSES = [
  [/\b(ERROR|FATAL|CRITICAL)\b/, "log-error"],
  [/\bWARN(ING)?\b/, "log-warn"],
];

async function refresh() {
  const type = $("log-type").value;
  const lines = $("log-lines").value;
  const filter = $("log-filter").value.trim();
  const query = filter ? `?filter=${encodeURIComponent(filter)}` : "";
  try {
    const { data, source } = await api.get(`/api/logs/${type}/${lines}${query}`);
    const rows = data.map((line) => {
      const row = document.createElement("div");
      row.className = "log-line";
      const level = LEVEL_CLASSES.find(([pattern]) => pattern.test(line));
      if (level) row.classList.add(level[1]);
      row.textContent = line;
      return row;
    });
    view.replaceChildren(...rows);
    const what = filter ? `${data.length} lines matching “${filter}”` : `${data.length} lines`;
    $("log-source").textContent = source ? `${what}, newest first, from ${source}` : `${what}, newest first`;
    if (data.length === 0) view.textContent = filter ? "No line matches the filter." : "The log is empty.";
  } catch (error) {
    $("log-source").textContent = `Cannot read the log: ${error.message}`;
  }
}

let filterTimer = null;
$("log-filter").addEventListener("input", () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(refresh, FILTER_DELAY_MS);
});
$("log-type").addEventListener("change", refresh);
$("log-lines").addEventListener("change", refresh);
$("log-controls").addEventListener("submit", (event) => {
  event.preventDefault();
  refresh();
});

pollWhileVisible(async () => {
  if ($("log-follow").checked) await refresh();
}, 5000);
