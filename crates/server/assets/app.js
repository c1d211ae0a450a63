// Witzo dashboard enhancements. Every form works without this file; it only
// asks for confirmation before destructive actions, keeps double submissions
// out, and copies embed snippets.
"use strict";

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
      progress.textContent = `${job.status}: ${p.done || 0} processed — ${p.indexed || 0} indexed, ` +
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
