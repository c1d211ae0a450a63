// Witzo dashboard enhancements. Every form works without this file; it only
// asks for confirmation before destructive actions, keeps double submissions
// out, copies embed snippets, drops notices once read, previews widget
// settings as they are typed, and follows jobs as they run.
"use strict";

// A notice (?notice=saved) is shown once: the address loses it at once, so
// a reload or a bookmark does not bring it back.
{
  const url = new URL(window.location.href);
  if (url.searchParams.has("notice")) {
    url.searchParams.delete("notice");
    window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
  }
}

// Dates: the server writes them in UTC ("2026-11-29 10:04 UTC"); here each
// becomes a <time> in the owner's time zone (the account's, named on
// <body data-time-zone>; the browser's when the page names none or one it
// does not know), written once with the zone's short name.
{
  const stamp = /\b(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}) UTC\b/;
  const shape = {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  };
  const zone = document.body ? document.body.dataset.timeZone : "";
  let local;
  try {
    local = new Intl.DateTimeFormat(undefined, zone ? { ...shape, timeZone: zone } : shape);
  } catch (_) {
    local = new Intl.DateTimeFormat(undefined, shape); // RangeError: a zone this browser does not know
  }
  const root = document.querySelector("main");
  const walker = root && document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => (node.parentElement && node.parentElement.closest("time[datetime], textarea, pre, script")
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const found = [];
  while (walker && walker.nextNode()) if (stamp.test(walker.currentNode.data)) found.push(walker.currentNode);
  for (const node of found) {
    let rest = node;
    let m;
    while ((m = stamp.exec(rest.data))) {
      const at = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
      const after = rest.splitText(m.index);
      rest = after.splitText(m[0].length);
      const time = document.createElement("time");
      time.dateTime = at.toISOString();
      time.title = m[0];
      time.textContent = local.format(at);
      after.replaceWith(time);
    }
  }
}

// Snippet boxes are as tall as their text: the whole line, wrapped, never cut.
const fitSnippets = () => {
  for (const box of document.querySelectorAll("textarea.snippet")) {
    if (box.offsetParent === null) continue; // hidden: fitted when shown
    box.style.height = "auto";
    box.style.height = `${box.scrollHeight + 2}px`;
  }
};
fitSnippets();
window.addEventListener("resize", fitSnippets);

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  if (form.dataset.submitted === "true") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "true";
  for (const button of form.querySelectorAll("button[type=submit]")) {
    button.setAttribute("aria-disabled", "true");
  }
});

document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.value).then(() => {
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  });
});

// A running job's progress, refreshed until it ends (then the page reloads
// to show every page's outcome).
const progress = document.querySelector("[data-job-poll]");
if (progress) {
  const poll = async () => {
    try {
      const response = await fetch(`/api/jobs/${progress.dataset.jobPoll}`, { credentials: "same-origin" });
      if (!response.ok) return;
      const job = await response.json();
      const p = JSON.parse(job.progress || "{}");
      const done = p.total ? `${p.done || 0} of ${Math.max(p.total, p.done || 0)}` : `${p.done || 0}`;
      progress.textContent = `${job.status}: ${done} processed — ${p.indexed || 0} indexed, ` +
        `${p.unchanged || 0} unchanged, ${p.skipped || 0} skipped, ${p.failed || 0} failed` +
        (p.current ? ` — ${p.current}` : "");
      if (job.status === "queued" || job.status === "running") {
        setTimeout(poll, 2000);
      } else {
        window.location.reload();
      }
    } catch (_) {
      setTimeout(poll, 5000);
    }
  };
  setTimeout(poll, 1000);
}

// The widget preview on this page (widget.js in preview mode) listens for
// these: new settings to show, or a request to open.
const preview = (detail) => document.dispatchEvent(new CustomEvent("witzo:preview", { detail }));

// Live preview: the widget settings form shows its changes before Save.
const settingsForm = document.querySelector("form[data-preview-form]");
if (settingsForm) {
  const lines = (value) => value.split("\n").map((l) => l.trim()).filter(Boolean);
  const current = () => {
    const f = settingsForm.elements;
    const leadFields = ["name", "email", "phone", "company", "message"]
      .filter((n) => f[`lead_${n}`] && f[`lead_${n}`].checked);
    const after = parseInt(f.lead_after.value, 10);
    return {
      title: f.title.value,
      welcome_message: f.welcome_message.value,
      placeholder: f.placeholder.value,
      primary_color: f.primary_color.value,
      position: f.position.value,
      suggested_questions: lines(f.suggested_questions.value),
      language: f.language.value,
      show_branding: f.show_branding.checked,
      lead_form: { enabled: f.lead_enabled.checked, fields: leadFields, after_messages: Number.isFinite(after) ? after : 0 },
    };
  };
  const update = () => preview({ config: current(), open: true });
  settingsForm.addEventListener("input", update);
  settingsForm.addEventListener("change", update);
}

document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-open-preview]")) preview({ open: true });
});

// The first crawl after setup: counts, failures and elapsed time refresh
// from the JSON API until it ends; the preview and snippet appear once the
// first pages are in.
const training = document.querySelector("[data-training]");
if (training) {
  const field = (name) => training.querySelector(`[data-${name}]`);
  const ready = document.querySelector("[data-ready]");
  const loadedWhileRunning = training.dataset.running === "1";
  const clock = (secs) => {
    const s = Math.max(0, Math.round(secs));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  };
  const show = ({ job, pages }) => {
    const p = JSON.parse((job && job.progress) || "{}");
    const done = p.done || 0;
    const total = Math.max(p.total || 0, done);
    const learned = pages.filter((g) => g.outcome === "indexed" || g.outcome === "unchanged").length;
    const failures = pages.filter((g) => g.outcome === "failed" || g.outcome === "skipped");
    const running = job && (job.status === "queued" || job.status === "running");
    field("done").textContent = String(done);
    field("total").textContent = String(total);
    field("indexed").textContent = String(learned);
    field("failed").textContent = String(p.failed || 0);
    field("skipped").textContent = String(p.skipped || 0);
    const bar = field("bar");
    bar.max = Math.max(total, 1);
    bar.value = running ? done : bar.max;
    if (job) {
      const end = running ? Date.now() / 1000 : job.updated_at;
      field("elapsed").textContent = ` — ${clock(end - job.created_at)} elapsed`;
    }
    const list = field("failures");
    list.replaceChildren(...failures.map((g) => {
      const item = document.createElement("li");
      const url = document.createElement("span");
      url.className = "long";
      url.textContent = g.url;
      item.append(url, ` — ${g.outcome}: ${g.reason}`);
      return item;
    }));
    field("failure-count").textContent = String(failures.length);
    field("failures-box").hidden = failures.length === 0;
    if (learned > 0 && ready && ready.hidden) {
      ready.hidden = false;
      fitSnippets();
    }
    const status = field("status");
    if (running) {
      status.textContent = job.status === "queued"
        ? (job.last_error ? `Retrying shortly: ${job.last_error}` : "Waiting for a worker to start reading your website…")
        : learned > 0
          ? `Reading your website… ${learned} page(s) learned so far: try the preview while it goes on.`
          : "Reading your website… this page updates by itself.";
    } else if (learned > 0) {
      status.textContent = `Done: your widget has learned ${learned} page(s).`;
    }
    return { running, learned };
  };
  const poll = async () => {
    let next = 1500;
    try {
      const response = await fetch(`/api/sources/${training.dataset.training}`, { credentials: "same-origin" });
      if (response.ok) {
        const { running, learned } = show(await response.json());
        if (!running) {
          // Nothing learned: the page says why (it is worked out by the server).
          if (learned === 0 && loadedWhileRunning) window.location.reload();
          return;
        }
      } else if (response.status === 404) {
        return;
      }
    } catch (_) {
      next = 5000;
    }
    setTimeout(poll, next);
  };
  if (loadedWhileRunning) poll();
}
