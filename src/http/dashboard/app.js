// palingenesis dashboard: plain JavaScript, no dependencies. Talks only to this daemon's own API.
"use strict";

// Every audit event type (src/audit/event.rs); the event stream names each message by its type.
const EVENT_TYPES = [
  "DaemonStarted", "DaemonStopped", "StopDetected", "ResumeScheduled", "ResumeStarted", "ResumeCompleted",
  "ResumeFailed", "ResumeCancelled", "ResumeSkipped", "SessionCreated", "SessionBackedUp", "SessionFailed",
  "SessionDone", "NeedsAttention", "Paused", "Unpaused", "ConfigChanged", "ConfigRejected", "HookReceived",
  "ServerStarted", "ServerRestarted", "ServerGaveUp", "Notification", "SelfContinueArmed", "SelfContinueEnded",
  "ChatCommand", "ChatRefused", "CheckpointWritten", "CheckpointRequested", "SessionForgotten", "HandedOff",
];
const MAX_EVENTS = 50;

const $ = (id) => document.getElementById(id);
let stream = null;
let refreshTimer = null;

class Unauthorized extends Error {}

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { "X-Palingenesis": "1" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  if (resp.status === 401) throw new Unauthorized();
  const data = await resp.json();
  if (data.response === "error") throw new Error(data.message);
  return data;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function countdown(at, now) {
  const secs = Math.round((new Date(at) - now) / 1000);
  const abs = Math.abs(secs);
  let text;
  if (abs >= 86400) text = `${Math.floor(abs / 86400)}d ${Math.floor((abs % 86400) / 3600)}h`;
  else if (abs >= 3600) text = `${Math.floor(abs / 3600)}h ${Math.floor((abs % 3600) / 60)}m ${abs % 60}s`;
  else if (abs >= 60) text = `${Math.floor(abs / 60)}m ${abs % 60}s`;
  else text = `${abs}s`;
  return secs >= 0 ? `in ${text}` : `${text} ago`;
}

function hours(secs) {
  return secs >= 3600 ? `${(secs / 3600).toFixed(1)} h` : `${Math.round(secs / 60)} min`;
}

function tick() {
  const now = new Date();
  for (const node of document.querySelectorAll("[data-at]")) {
    node.textContent = countdown(node.getAttribute("data-at"), now);
  }
}

function project(s) {
  const cwd = s.locator && s.locator.cwd;
  if (!cwd) return "—";
  const parts = cwd.split("/").filter(Boolean);
  return parts.length ? parts[parts.length - 1] : cwd;
}

function stat(label, value, ...extra) {
  return el("div", { class: "card stat" }, el("div", { class: "muted" }, label), el("div", { class: "big" }, value), ...extra);
}

function renderStatus(s) {
  const paused = s.mode === "paused";
  $("mode").textContent = paused ? "paused" : "monitoring";
  $("mode").className = `badge ${paused ? "warn" : "ok"}`;
  $("pause").hidden = paused;
  $("resume").hidden = !paused;
  const saves = (s.saves && s.saves.total) || { stops: 0, saves: 0, recovered_secs: 0 };
  const next = s.next_action_at
    ? el("div", { class: "muted" }, "next action ", el("span", { class: "countdown", "data-at": s.next_action_at }))
    : null;
  $("summary").replaceChildren(
    stat("sessions", `${s.sessions_total}`, el("div", { class: "muted" }, `${s.sessions_waiting} waiting`), next),
    stat("stops handled", `${saves.stops}`),
    stat("saves", `${saves.saves}`),
    stat("agent time recovered", hours(saves.recovered_secs)),
  );
}

function sessionCard(s) {
  const id = s.key.id;
  const reason = s.last_stop ? s.last_stop.kind : null;
  const next = s.next_action
    ? el("p", { class: "next" }, `${s.next_action.action} `,
        el("span", { class: "countdown", "data-at": s.next_action.at }),
        el("span", { class: "muted" }, ` — ${s.next_action.reason}`))
    : null;
  const button = (label, path, cls) => {
    const b = el("button", { type: "button", class: cls || "", textContent: label });
    b.dataset.action = path;
    b.addEventListener("click", () => act(path, { session: id }, `${label}: ${id}`));
    return b;
  };
  return el("article", { class: `card session state-${s.state}`, "data-session": id },
    el("div", { class: "row" },
      el("span", { class: "badge assistant" }, s.key.assistant),
      el("strong", { class: "project", title: (s.locator && s.locator.cwd) || "" }, project(s)),
      el("span", { class: `badge state` }, s.state)),
    el("p", { class: "muted id" }, id),
    el("dl", {},
      el("dt", {}, "reason"), el("dd", { class: "reason" }, reason || "—"),
      el("dt", {}, "reach"), el("dd", {}, s.reach),
      el("dt", {}, "updated"), el("dd", {}, el("span", { "data-at": s.updated_at }))),
    next,
    el("div", { class: "buttons" },
      button("Skip wait", "/api/v1/skip"),
      button("New session", "/api/v1/new-session"),
      button("Abort", "/api/v1/abort", "danger")));
}

function renderSessions(list) {
  const sessions = list.sessions || [];
  $("session-count").textContent = `(${sessions.length})`;
  $("no-sessions").hidden = sessions.length > 0;
  $("sessions").replaceChildren(...sessions.map(sessionCard));
}

function addEvent(e) {
  const who = e.session ? `${e.assistant || ""} ${e.session.slice(0, 8)}` : "";
  const detail = [e.reason, e.action, e.outcome, e.message].filter(Boolean).join(" · ");
  const item = el("li", { class: `event ev-${e.event}` },
    el("time", { dateTime: e.ts }, new Date(e.ts).toLocaleTimeString()),
    el("strong", {}, e.event),
    el("span", { class: "who" }, who),
    el("span", { class: "muted" }, detail));
  const list = $("events");
  list.prepend(item);
  while (list.children.length > MAX_EVENTS) list.lastChild.remove();
}

function show(message, isError) {
  const m = $("message");
  m.textContent = message;
  m.className = isError ? "error" : "";
  m.hidden = false;
  clearTimeout(show.timer);
  show.timer = setTimeout(() => { m.hidden = true; }, 5000);
}

async function refresh() {
  try {
    const [status, sessions] = await Promise.all([api("GET", "/api/v1/status"), api("GET", "/api/v1/sessions")]);
    renderStatus(status);
    renderSessions(sessions);
    tick();
    return true;
  } catch (e) {
    if (e instanceof Unauthorized) signedOut();
    else show(`cannot reach the daemon: ${e.message}`, true);
    return false;
  }
}

function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 200);
}

async function act(path, body, what) {
  try {
    const done = await api("POST", path, body);
    show(done.message || what);
  } catch (e) {
    if (e instanceof Unauthorized) return signedOut();
    show(`${what}: ${e.message}`, true);
  }
  refresh();
}

function follow() {
  if (stream) stream.close();
  stream = new EventSource("/api/v1/events");
  stream.onopen = () => { $("live").textContent = "live"; $("live").className = "badge ok"; refresh(); };
  stream.onerror = () => { $("live").textContent = "reconnecting"; $("live").className = "badge off"; };
  for (const type of EVENT_TYPES) {
    stream.addEventListener(type, (msg) => {
      try { addEvent(JSON.parse(msg.data)); } catch (_) { /* a malformed event is skipped */ }
      refreshSoon();
    });
  }
}

function signedOut() {
  if (stream) { stream.close(); stream = null; }
  $("app").hidden = true;
  $("signin").hidden = false;
  $("signout").hidden = true;
  $("pause").hidden = true;
  $("resume").hidden = true;
  $("token").focus();
}

async function start() {
  if (await refresh()) {
    $("signin").hidden = true;
    $("app").hidden = false;
    $("signout").hidden = false;
    follow();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("pause").addEventListener("click", () => act("/api/v1/pause", undefined, "pause"));
  $("resume").addEventListener("click", () => act("/api/v1/resume", undefined, "resume"));
  $("signout").addEventListener("click", async () => {
    await fetch("/api/v1/logout", { method: "POST", credentials: "same-origin", headers: { "X-Palingenesis": "1" } });
    signedOut();
  });
  $("signin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const resp = await fetch("/api/v1/login", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Palingenesis": "1" },
      body: JSON.stringify({ token: $("token").value }),
    });
    $("token").value = "";
    if (resp.ok) {
      $("signin-error").hidden = true;
      start();
    } else {
      const data = await resp.json().catch(() => ({}));
      $("signin-error").textContent = data.message || "sign-in failed";
      $("signin-error").hidden = false;
    }
  });
  setInterval(tick, 1000);
  start();
});
