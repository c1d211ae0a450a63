// Witzo chat widget: the visitor-facing chat that owners embed on their sites.
//
// Each <script> tag that loads this file mounts one independent widget,
// configured by the tag's data-witzo-* attributes. All UI lives in an open
// shadow root of a <witzo-chat> element so the host page's CSS cannot reach
// it. Untrusted text (answers, titles, config strings, errors) only ever
// enters the DOM through text nodes: there is no innerHTML anywhere here.
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script) return; // Without our own tag we cannot know the key or API.

  const TAG = "witzo-chat";
  const MAX_MESSAGE_CHARS = 2000;
  const MAX_STORED_MESSAGES = 50;
  const DEFAULT_COLOR = "#2563eb";
  // Non-ASCII only as escapes: the file may be decoded with the host page's charset.
  const DEFAULT_PLACEHOLDER = "Type your message\u2026";
  const LEAD_FIELDS = {
    name: { label: "Name", type: "text", autocomplete: "name", max: 200 },
    email: { label: "Email", type: "email", autocomplete: "email", max: 254 },
    phone: { label: "Phone", type: "tel", autocomplete: "tel", max: 50 },
    company: { label: "Company", type: "text", autocomplete: "organization", max: 200 },
    message: { label: "Message", textarea: true, max: 2000 },
  };
  // Codes whose server message is meant for the visitor (client mistakes).
  const VALIDATION_CODES = new Set([
    "invalid_json", "validation_failed", "message_too_long", "missing_field",
    "unknown_field", "invalid_type", "payload_too_large", "invalid_query",
  ]);
  // Codes after which the widget cannot be used on this page at all.
  const FATAL_CODES = new Set([
    "widget_domain_not_allowed", "origin_not_allowed", "widget_inactive",
    "widget_key_invalid", "origin_missing",
  ]);
  const ICONS = {
    chat: "M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z",
    close: "M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z",
    send: "M2.01 21 23 12 2.01 3 2 10l15 2-15 2z",
    restart: "M17.65 6.35A7.96 7.96 0 0 0 12 4a8 8 0 1 0 7.73 10h-2.08A6 6 0 1 1 12 6c1.66 0 3.14.69 4.22 1.78L13 11h7V4l-2.35 2.35z",
    up: "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
    down: "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z",
  };

  const CSS = `
:host {
  all: initial !important;
  position: fixed !important; z-index: 2147483000 !important;
  top: auto !important; left: auto !important; right: 20px !important; bottom: 20px !important;
  display: block !important; width: 56px !important; height: 56px !important;
  margin: 0 !important; padding: 0 !important; visibility: visible !important; opacity: 1 !important;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif !important;
  font-size: 15px !important; line-height: 1.45 !important; color: #1f2328 !important;
  font-weight: 400 !important; font-style: normal !important; text-align: left !important;
  direction: ltr !important; letter-spacing: normal !important; text-transform: none !important;
}
:host([data-position="left"]) { right: auto !important; left: 20px !important; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.wz { --wz-primary: ${DEFAULT_COLOR}; --wz-on-primary: #fff; font: inherit; color: inherit; }
button, input, textarea { font: inherit; color: inherit; margin: 0; }
button { border: 0; background: none; padding: 0; cursor: pointer; }
button:disabled { cursor: default; opacity: .5; }
:focus-visible { outline: 2px solid var(--wz-primary); outline-offset: 2px; }
svg { display: block; fill: currentColor; flex: none; }
.launcher { display: flex; align-items: center; justify-content: center; width: 56px; height: 56px;
  border-radius: 50%; background: var(--wz-primary); color: var(--wz-on-primary);
  box-shadow: 0 4px 14px rgba(0,0,0,.25); transition: transform .15s ease; }
.launcher:hover { transform: scale(1.05); }
.panel { position: absolute; bottom: 72px; right: 0; width: 370px; max-width: calc(100vw - 40px);
  height: 580px; max-height: calc(100vh - 112px); display: flex; flex-direction: column;
  background: #fff; border-radius: 14px; overflow: hidden; box-shadow: 0 10px 40px rgba(0,0,0,.22);
  animation: wz-in .18s ease-out; }
:host([data-position="left"]) .panel { right: auto; left: 0; }
@keyframes wz-in { from { opacity: 0; transform: translateY(8px); } to { opacity: 1; transform: none; } }
.header { display: flex; align-items: center; gap: 8px; padding: 10px 10px 10px 16px;
  background: var(--wz-primary); color: var(--wz-on-primary); }
.logo { width: 28px; height: 28px; border-radius: 50%; object-fit: cover; background: #fff; }
.title { flex: 1; min-width: 0; margin: 0; font-size: 16px; font-weight: 600; line-height: 1.3;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.icon-btn { display: flex; align-items: center; justify-content: center; width: 32px; height: 32px;
  border-radius: 8px; color: inherit; }
.icon-btn:hover { background: rgba(127,127,127,.22); }
.messages { flex: 1; overflow-y: auto; overscroll-behavior: contain; padding: 16px;
  display: flex; flex-direction: column; gap: 10px; background: #f6f7f9; }
.msg { display: flex; flex-direction: column; max-width: 88%; }
.msg.visitor { align-self: flex-end; }
.msg.assistant, .note { align-self: flex-start; }
.bubble { padding: 9px 12px; border-radius: 14px; overflow-wrap: anywhere; word-break: break-word; }
.visitor .bubble { background: var(--wz-primary); color: var(--wz-on-primary);
  border-bottom-right-radius: 4px; white-space: pre-wrap; }
.assistant .bubble, .note { background: #fff; border: 1px solid #e3e6ea; border-bottom-left-radius: 4px; }
.note { padding: 9px 12px; border-radius: 14px; }
.md p { margin: 0 0 .6em; }
.md ul, .md ol { margin: 0 0 .6em; padding-left: 1.4em; }
.md li { margin: .15em 0; }
.md > :last-child { margin-bottom: 0; }
.md code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em;
  background: #eef0f3; padding: .1em .3em; border-radius: 4px; }
.md a, .sources a { color: var(--wz-primary); text-decoration: underline; }
.sources { margin-top: 8px; padding-top: 6px; border-top: 1px solid #eceef1; font-size: 13px; color: #57606a; }
.sources ol { margin: 2px 0 0; padding-left: 1.4em; }
.typing { display: inline-flex; gap: 4px; padding: 4px 0; }
.typing span { width: 6px; height: 6px; border-radius: 50%; background: #9aa1a9; animation: wz-blink 1.2s infinite; }
.typing span:nth-child(2) { animation-delay: .2s; }
.typing span:nth-child(3) { animation-delay: .4s; }
@keyframes wz-blink { 0%, 80%, 100% { opacity: .3; } 40% { opacity: 1; } }
.feedback { display: flex; align-items: center; gap: 2px; margin-top: 4px; color: #8a9099; }
.feedback > button { display: flex; padding: 5px; border-radius: 6px; }
.feedback > button:hover { background: #eceef1; }
.feedback > button[aria-pressed="true"] { color: var(--wz-primary); }
.reason, .lead { display: flex; gap: 6px; margin-top: 6px; }
.reason input { flex: 1; min-width: 0; }
.thanks { font-size: 13px; color: #57606a; margin-top: 4px; }
.error { background: #fff4f4; border: 1px solid #f1c4c4; color: #8a1c1c; border-radius: 10px;
  padding: 9px 12px; font-size: 14px; }
.bubble .error { margin-top: 8px; }
.error-box { display: flex; flex-direction: column; align-items: flex-start; gap: 6px; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; padding: 0 16px 10px; background: #f6f7f9; }
.chip { border: 1px solid #d0d7de; background: #fff; border-radius: 999px; padding: 6px 12px;
  font-size: 13px; text-align: left; color: #1f2328; }
.chip:hover { border-color: var(--wz-primary); }
.hint { padding: 4px 16px 0; font-size: 12.5px; color: #b42318; background: #fff; }
.hint:empty { display: none; }
.composer { display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px;
  border-top: 1px solid #e6e8eb; background: #fff; }
.input, .field input, .field textarea, .reason input { border: 1px solid #d0d7de; border-radius: 10px;
  padding: 8px 11px; background: #fff; color: #1f2328; font-size: 15px; line-height: 1.4; outline: none; }
.input:focus, .field input:focus, .field textarea:focus, .reason input:focus { border-color: var(--wz-primary); }
.input { flex: 1; min-width: 0; resize: none; height: 40px; max-height: 120px; overflow-y: auto; }
.send { display: flex; align-items: center; justify-content: center; width: 40px; height: 40px;
  border-radius: 10px; background: var(--wz-primary); color: var(--wz-on-primary); }
.footer { padding: 5px; text-align: center; font-size: 11.5px; background: #fff; color: #6e7781; }
.footer a { color: inherit; text-decoration: none; }
.footer a:hover { text-decoration: underline; }
.lead { flex-direction: column; gap: 8px; background: #fff; border: 1px solid #e3e6ea;
  border-radius: 12px; padding: 12px; margin: 0; }
.lead p { margin: 0; }
.field { display: flex; flex-direction: column; gap: 3px; font-size: 13px; color: #57606a; }
.field textarea { resize: vertical; }
.actions { display: flex; gap: 8px; }
.btn { border: 1px solid #d0d7de; background: #fff; color: #1f2328; border-radius: 8px;
  padding: 6px 12px; font-size: 14px; }
.btn.primary { background: var(--wz-primary); border-color: var(--wz-primary); color: var(--wz-on-primary); }
@media (max-width: 479.98px) {
  .panel, :host([data-position="left"]) .panel { position: fixed; top: 8px; left: 8px; right: 8px;
    bottom: 84px; width: auto; height: auto; max-width: none; max-height: none; }
  .input { font-size: 16px; }
}
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important; }
}`;

  // ---- Small helpers -------------------------------------------------------

  /** createElement with string attributes; children are nodes or plain text. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value != null && value !== false) el.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) if (child != null) el.append(child); // strings become text nodes
    return el;
  }

  function icon(name, size = 22) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    for (const [k, v] of [["viewBox", "0 0 24 24"], ["width", size], ["height", size],
      ["aria-hidden", "true"], ["focusable", "false"]]) svg.setAttribute(k, String(v));
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  /** An absolute http(s) URL, normalised, or null. */
  function safeUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      const url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch {
      return null;
    }
  }

  const str = (value) => (typeof value === "string" ? value.trim() : "");
  const randomHex = () =>
    Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

  /** Web Storage that silently falls back to memory when unavailable or full. */
  function makeStore(area) {
    const memory = new Map();
    let storage = null;
    try {
      storage = window[area];
      storage.setItem("witzo:probe", "1");
      storage.removeItem("witzo:probe");
    } catch {
      storage = null;
    }
    return {
      get(k) {
        if (memory.has(k)) return memory.get(k);
        try { return storage ? storage.getItem(k) : null; } catch { return null; }
      },
      set(k, v) {
        try { if (storage) { storage.setItem(k, v); memory.delete(k); return; } } catch { /* full */ }
        memory.set(k, v);
      },
      remove(k) {
        memory.delete(k);
        try { if (storage) storage.removeItem(k); } catch { /* ignore */ }
      },
    };
  }

  /** The JSON error body of a failed response, plus Retry-After. */
  async function readError(res) {
    let body = null;
    try { body = await res.json(); } catch { /* not JSON */ }
    const code = body && typeof body.code === "string" ? body.code
      : res.status === 429 ? "rate_limited" : `http_${res.status}`;
    // Retry-After is only readable cross-origin if the server exposes it.
    const retry = parseInt(res.headers.get("Retry-After") || "", 10);
    return { code, message: body && typeof body.message === "string" ? body.message : "",
      status: res.status, retryAfter: retry > 0 ? retry : 10,
      // At the plan's limit: whether the plan offers the lead form instead.
      leadForm: Boolean(body && body.lead_form === true) };
  }

  /** The visitor-facing text for an error; switches on the code only. */
  function errorText(err) {
    switch (err.code) {
      case "widget_domain_not_allowed":
      case "origin_not_allowed":
        return "This chat is not available on this website.";
      case "widget_inactive":
      case "widget_key_invalid":
      case "origin_missing":
        return "This chat is currently unavailable.";
      case "rate_limited": {
        const n = err.retryAfter || 10;
        return `You are sending messages too quickly. Please wait ${n} ${n === 1 ? "second" : "seconds"}.`;
      }
      case "conversation_limit_reached":
        return "This chat has reached its limit for now.";
      case "offline":
        return "You appear to be offline. Check your connection and try again.";
    }
    if (err.message && (VALIDATION_CODES.has(err.code) || [400, 413, 422].includes(err.status))) {
      return err.message;
    }
    return "Something went wrong. Please try again.";
  }

  /** Reads a text/event-stream body, calling onEvent(name, data) per event. */
  async function readEventStream(body, onEvent) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const dispatch = (block) => {
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue; // blank or comment
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") name = value;
        else if (field === "data") data.push(value);
      }
      if (!data.length) return;
      let parsed;
      try { parsed = JSON.parse(data.join("\n")); } catch { return; }
      if (parsed && typeof parsed === "object") onEvent(name, parsed);
    };
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // Normalise line endings; keep a trailing CR in case its LF is in the next chunk.
      buffer = buffer.replace(/\r\n|\r(?!$)/g, "\n");
      if (done) buffer = buffer.replace(/\r$/, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
      if (done) {
        if (buffer.trim()) dispatch(buffer);
        return;
      }
    }
  }

  // ---- Safe Markdown subset to DOM -----------------------------------------

  // Inline syntax, tried left to right: `code`, **bold**, [text](url), *italic*, _italic_.
  // The _ form needs a non-word character (captured) before it, so snake_case stays text.
  const INLINE = /`([^`\n]+)`|\*\*(?=\S)([\s\S]*?\S)\*\*|\[([^[\]\n]+)\]\(\s*((?:[^()\s]|\([^()\s]*\))+)\s*\)|\*(?=[^\s*])([\s\S]*?[^\s*])\*|(^|[^A-Za-z0-9_])_(?=[^\s_])([\s\S]*?[^\s_])_(?![A-Za-z0-9_])/g;

  function appendInline(parent, text, allowLinks = true) {
    const re = new RegExp(INLINE.source, "g");
    let last = 0;
    let m;
    while ((m = re.exec(text))) {
      let start = m.index;
      if (m[7] !== undefined) start += m[6].length; // keep the char before _ as text
      if (start > last) parent.append(text.slice(last, start));
      last = re.lastIndex;
      if (m[1] !== undefined) {
        parent.append(h("code", null, m[1]));
      } else if (m[2] !== undefined) {
        const strong = h("strong");
        appendInline(strong, m[2], allowLinks);
        parent.append(strong);
      } else if (m[3] !== undefined) {
        const href = allowLinks ? safeUrl(m[4]) : null;
        if (href) {
          const a = h("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" });
          appendInline(a, m[3], false);
          parent.append(a);
        } else {
          appendInline(parent, m[3], false); // unsafe or nested link: its text only
        }
      } else {
        const em = h("em");
        appendInline(em, m[5] !== undefined ? m[5] : m[7], allowLinks);
        parent.append(em);
      }
    }
    if (last < text.length) parent.append(text.slice(last));
  }

  /** Paragraphs, - / * lists, 1. lists, headings (as bold paragraphs) and inline syntax. */
  function renderMarkdown(source) {
    const frag = document.createDocumentFragment();
    let para = null;
    let list = null;
    let item = null;
    const closeBlocks = () => { para = null; list = null; item = null; };
    for (const raw of String(source).replace(/\r\n?/g, "\n").split("\n")) {
      const line = raw.trimEnd();
      let m;
      if (!line.trim()) {
        closeBlocks();
      } else if ((m = /^ {0,3}([-*]|\d{1,9}\.) +(.*)$/.exec(line))) {
        const tag = /\d/.test(m[1]) ? "ol" : "ul";
        if (!list || list.tagName.toLowerCase() !== tag) {
          para = null;
          list = frag.appendChild(h(tag));
          const start = parseInt(m[1], 10);
          if (tag === "ol" && start !== 1) list.setAttribute("start", String(start));
        }
        item = list.appendChild(h("li"));
        appendInline(item, m[2]);
      } else if (item && /^\s{2,}\S/.test(raw)) {
        item.append(h("br")); // indented continuation of a list item
        appendInline(item, line.trim());
      } else if ((m = /^ {0,3}#{1,6} +(.*)$/.exec(line))) {
        closeBlocks();
        const strong = h("strong");
        appendInline(strong, m[1].replace(/ +#+$/, ""));
        frag.append(h("p", null, strong));
      } else {
        list = null;
        item = null;
        if (para) para.append(h("br"));
        else para = frag.appendChild(h("p"));
        appendInline(para, line.trim());
      }
    }
    return frag;
  }

  // ---- One widget instance ---------------------------------------------------

  class Widget {
    constructor(opts) {
      Object.assign(this, opts); // key, api, preview, openOnLoad
      this.local = makeStore("localStorage");
      this.session = makeStore("sessionStorage");
      this.visitorKey = `witzo:${this.key}:visitor`;
      this.convKey = `witzo:${this.key}:conversation`;
      this.closedKey = `witzo:${this.key}:closed`;
      this.visitorId = this.loadVisitorId();
      this.conv = this.loadConversation();
      this.config = null;
      this.configError = null;
      this.isOpen = false;
      this.everOpened = false;
      this.openedSent = false;
      this.busy = false;
      this.abortCtl = null;
      this.leadFormEl = null;
      this.build();
    }

    loadVisitorId() {
      let id = this.local.get(this.visitorKey);
      if (!/^v_[0-9a-f]{32}$/.test(id || "")) {
        id = `v_${randomHex()}`;
        this.local.set(this.visitorKey, id);
      }
      return id;
    }

    loadConversation() {
      const empty = { conversation_id: null, messages: [], lead: null };
      let data;
      try { data = JSON.parse(this.local.get(this.convKey) || "null"); } catch { return empty; }
      if (!data || typeof data !== "object" || !Array.isArray(data.messages)) return empty;
      const text = (v) => (typeof v === "string" ? v : null);
      return {
        conversation_id: text(data.conversation_id),
        lead: data.lead === "submitted" || data.lead === "dismissed" ? data.lead : null,
        messages: data.messages.slice(-MAX_STORED_MESSAGES)
          .filter((m) => m && (m.role === "visitor" || m.role === "assistant") && typeof m.text === "string")
          .map((m) => ({
            role: m.role, text: m.text, message_id: text(m.message_id), error: text(m.error),
            rating: m.rating === "up" || m.rating === "down" ? m.rating : null,
            sources: Array.isArray(m.sources) ? m.sources.filter((s) => s && typeof s === "object") : [],
          })),
      };
    }

    saveConversation() {
      const c = this.conv;
      c.messages = c.messages.slice(-MAX_STORED_MESSAGES);
      if (!c.conversation_id && !c.messages.length && !c.lead) this.local.remove(this.convKey);
      else this.local.set(this.convKey, JSON.stringify(c));
    }

    /** An API URL: key as query parameter where wanted, preview token always. */
    url(path, withKey = true) {
      const url = new URL(this.api + path, location.href);
      if (withKey) url.searchParams.set("key", this.key);
      if (this.preview) url.searchParams.set("preview", this.preview);
      return url.href;
    }

    request(path, { body, signal, accept = "application/json", withKey = true } = {}) {
      const headers = { Accept: accept };
      if (body) headers["Content-Type"] = "application/json";
      return fetch(this.url(path, withKey), {
        method: body ? "POST" : "GET", mode: "cors", credentials: "omit",
        headers, body: body ? JSON.stringify(body) : undefined, signal,
      });
    }

    postEvent(kind) {
      this.request("/v1/events", { body: { visitor_id: this.visitorId, kind, page_url: location.href } })
        .catch(() => {}); // fire and forget
    }

    // ---- DOM construction ----

    build() {
      this.host = document.createElement(TAG);
      this.shadow = this.host.attachShadow({ mode: "open" });
      try {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        this.shadow.adoptedStyleSheets = [sheet];
      } catch {
        this.shadow.append(h("style", null, CSS));
      }

      this.launcher = h("button", { type: "button", class: "launcher", part: "launcher",
        "aria-label": "Open chat", "aria-expanded": "false", "aria-controls": "wz-panel" }, icon("chat", 26));
      this.logo = h("img", { class: "logo", alt: "", hidden: true, referrerpolicy: "no-referrer" });
      this.titleEl = h("h2", { class: "title" }, "Chat");
      this.newBtn = h("button", { type: "button", class: "icon-btn", part: "new-conversation",
        "aria-label": "New conversation", title: "New conversation" }, icon("restart", 20));
      this.closeBtn = h("button", { type: "button", class: "icon-btn", part: "close",
        "aria-label": "Close chat", title: "Close chat" }, icon("close", 20));
      this.messagesEl = h("div", { class: "messages", part: "messages", "aria-live": "polite" });
      this.chipsEl = h("div", { class: "chips", part: "suggestions", hidden: true });
      this.hintEl = h("div", { class: "hint", part: "hint", "aria-live": "polite" });
      this.input = h("textarea", { class: "input", part: "input", rows: "1", enterkeyhint: "send",
        "aria-label": DEFAULT_PLACEHOLDER, placeholder: DEFAULT_PLACEHOLDER });
      this.sendBtn = h("button", { type: "submit", class: "send", part: "send", "aria-label": "Send",
        title: "Send", disabled: true }, icon("send", 20));
      this.composer = h("form", { class: "composer", part: "composer" }, this.input, this.sendBtn);
      this.footer = h("div", { class: "footer", part: "footer", hidden: true },
        h("a", { href: `${this.api}/`, target: "_blank", rel: "noopener noreferrer" }, "Powered by Witzo"));
      this.panel = h("div", { class: "panel", part: "panel", id: "wz-panel", role: "dialog",
        "aria-label": "Chat", hidden: true },
      h("div", { class: "header" }, this.logo, this.titleEl, this.newBtn, this.closeBtn),
      this.messagesEl, this.chipsEl, this.hintEl, this.composer, this.footer);
      this.root = h("div", { class: "wz" }, this.launcher, this.panel);
      this.shadow.append(this.root);

      this.launcher.addEventListener("click", () => (this.isOpen ? this.close(true) : this.open(true)));
      this.closeBtn.addEventListener("click", () => this.close(true, true));
      this.newBtn.addEventListener("click", () => this.newConversation());
      this.root.addEventListener("keydown", (e) => {
        if (e.key === "Escape" && this.isOpen) {
          e.stopPropagation();
          this.close(true, true);
        }
      });
      this.composer.addEventListener("submit", (e) => {
        e.preventDefault();
        this.send(this.input.value);
      });
      this.input.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.send(this.input.value);
        }
      });
      this.input.addEventListener("input", () => this.autosize());
      window.addEventListener("online", () => {
        if (!this.config && this.configError && this.configError.code === "offline") this.loadConfig();
      });
    }

    autosize() {
      this.input.style.height = "auto";
      this.input.style.height = `${Math.min(Math.max(this.input.scrollHeight + 2, 40), 120)}px`;
    }

    // ---- Config ----

    start() {
      this.loadConfig();
      if (this.openOnLoad) this.open(true);
    }

    async loadConfig() {
      this.configError = null;
      this.messagesEl.replaceChildren(h("div", { class: "note" }, "Loading\u2026"));
      if (!this.key) return this.showConfigError({ code: "widget_key_invalid" });
      let res;
      try {
        res = await this.request(`/v1/widgets/${encodeURIComponent(this.key)}/config`, { withKey: false });
      } catch {
        return this.showConfigError({ code: "offline" });
      }
      if (!res.ok) return this.showConfigError(await readError(res));
      let data;
      try { data = await res.json(); } catch { data = null; }
      if (!data || typeof data !== "object") return this.showConfigError({ code: "invalid_config" });
      this.applyConfig(data);
    }

    showConfigError(err) {
      this.configError = err;
      this.messagesEl.replaceChildren();
      const retry = FATAL_CODES.has(err.code) ? null : () => this.loadConfig();
      this.messagesEl.append(this.errorEl(err, { retry }));
      this.chipsEl.hidden = true;
      this.input.disabled = true;
      this.sendBtn.disabled = true;
    }

    applyConfig(c) {
      const lead = c.lead_form && typeof c.lead_form === "object" ? c.lead_form : {};
      const after = lead.after_messages;
      const color = /^#[0-9a-fA-F]{6}$/.test(c.primary_color) ? c.primary_color : DEFAULT_COLOR;
      const cfg = (this.config = {
        title: str(c.title) || "Chat",
        welcome: str(c.welcome_message),
        placeholder: str(c.placeholder) || DEFAULT_PLACEHOLDER,
        suggestions: (Array.isArray(c.suggested_questions) ? c.suggested_questions : [])
          .map(str).filter(Boolean).slice(0, 8),
        lead: {
          enabled: lead.enabled === true,
          fields: [...new Set(Array.isArray(lead.fields) ? lead.fields : [])]
            .filter((f) => Object.prototype.hasOwnProperty.call(LEAD_FIELDS, f)),
          after: typeof after === "number" && Number.isFinite(after) && after >= 0 ? Math.floor(after) : 1,
        },
      });
      // Colours go in through CSSOM custom properties (allowed under strict CSPs).
      this.root.style.setProperty("--wz-primary", color);
      this.root.style.setProperty("--wz-on-primary", onColor(color));
      if (c.position === "left") this.host.setAttribute("data-position", "left");
      else this.host.removeAttribute("data-position");
      if (typeof c.language === "string" && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(c.language)) {
        this.panel.setAttribute("lang", c.language);
      }
      this.titleEl.textContent = cfg.title;
      this.panel.setAttribute("aria-label", cfg.title);
      const logo = safeUrl(c.logo_url);
      this.logo.hidden = !logo;
      if (logo) this.logo.src = logo;
      this.input.placeholder = cfg.placeholder;
      this.input.setAttribute("aria-label", cfg.placeholder);
      this.input.disabled = false;
      this.footer.hidden = c.show_branding !== true;
      this.chipsEl.replaceChildren(...cfg.suggestions.map((q) => {
        const chip = h("button", { type: "button", class: "chip" }, q);
        chip.addEventListener("click", () => this.send(q));
        return chip;
      }));
      this.setBusy(false);
      this.renderTranscript();

      this.postEvent("widget_loaded");
      this.maybeSendOpened();
      const secs = c.auto_open_secs;
      if (typeof secs === "number" && Number.isFinite(secs) && secs > 0) {
        setTimeout(() => {
          // Once per page load, and never after the visitor closed it this session.
          if (!this.everOpened && this.session.get(this.closedKey) !== "1") this.open(false);
        }, secs * 1000);
      }
    }

    // ---- Open / close ----

    open(focus) {
      if (this.isOpen) return;
      this.isOpen = true;
      this.panel.hidden = false;
      this.launcher.setAttribute("aria-expanded", "true");
      this.launcher.setAttribute("aria-label", "Close chat");
      this.launcher.replaceChildren(icon("close", 24));
      this.everOpened = true;
      this.maybeSendOpened();
      this.scrollToBottom();
      if (focus) (this.input.disabled ? this.closeBtn : this.input).focus({ preventScroll: true });
    }

    close(byVisitor, focusLauncher) {
      if (!this.isOpen) return;
      this.isOpen = false;
      this.panel.hidden = true;
      this.launcher.setAttribute("aria-expanded", "false");
      this.launcher.setAttribute("aria-label", "Open chat");
      this.launcher.replaceChildren(icon("chat", 26));
      if (byVisitor) this.session.set(this.closedKey, "1");
      if (focusLauncher) this.launcher.focus();
    }

    maybeSendOpened() {
      if (this.everOpened && this.config && !this.openedSent) {
        this.openedSent = true;
        this.postEvent("opened");
      }
    }

    // ---- Transcript rendering ----

    renderTranscript() {
      this.messagesEl.replaceChildren();
      this.leadFormEl = null;
      if (this.config.welcome) {
        this.messagesEl.append(h("div", { class: "msg assistant", "data-role": "welcome" },
          h("div", { class: "bubble md" }, renderMarkdown(this.config.welcome))));
      }
      for (const m of this.conv.messages) {
        this.messagesEl.append(m.role === "visitor" ? this.visitorEl(m.text)
          : this.answerView(m, m.error ? "error" : "done").el);
      }
      this.updateChips();
      this.maybeShowLeadForm(false);
      this.scrollToBottom();
    }

    updateChips() {
      const started = this.busy || this.conv.messages.some((m) => m.role === "visitor");
      this.chipsEl.hidden = started || !this.config || !this.config.suggestions.length;
    }

    visitorEl(text) {
      return h("div", { class: "msg visitor", "data-role": "visitor" }, h("div", { class: "bubble" }, text));
    }

    /** An assistant message element plus the handles needed to update it. */
    answerView(m, state) {
      const content = h("div", { class: "md" });
      const bubble = h("div", { class: "bubble" }, content);
      const el = h("div", { class: "msg assistant", "data-role": "assistant", "data-state": state }, bubble);
      const view = { m, el, bubble, content, sources: null };
      this.renderAnswerText(view);
      if (m.sources.length) this.setSources(view, m.sources);
      if (m.error) bubble.append(this.errorEl({ code: m.error }, { live: false }));
      if (m.message_id && state === "done") this.addFeedback(view);
      return view;
    }

    renderAnswerText(view) {
      if (!view.m.text && view.el.dataset.state === "streaming") {
        view.content.replaceChildren(h("span", { class: "typing", role: "img", "aria-label": "Typing\u2026" },
          h("span"), h("span"), h("span")));
      } else {
        view.content.replaceChildren(renderMarkdown(view.m.text));
      }
    }

    setSources(view, list) {
      const items = (Array.isArray(list) ? list : []).filter((s) => s && typeof s === "object").slice(0, 20)
        .map((s) => ({ title: str(s.title), url: typeof s.url === "string" ? s.url : "" }));
      view.m.sources = items;
      if (view.sources) view.sources.remove();
      view.sources = null;
      if (!items.length) return;
      const ol = h("ol");
      for (const s of items) {
        const href = safeUrl(s.url);
        const label = s.title || (href ? new URL(href).hostname : "Source");
        ol.append(h("li", null, href
          ? h("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }, label)
          : label));
      }
      view.sources = h("div", { class: "sources", part: "sources" }, h("div", null, "Sources"), ol);
      view.content.after(view.sources);
    }

    /** Thumbs up/down for a finished answer; "down" offers an optional reason. */
    addFeedback(view) {
      const m = view.m;
      const up = h("button", { type: "button", "aria-label": "Helpful", title: "Helpful" }, icon("up", 16));
      const down = h("button", { type: "button", "aria-label": "Not helpful", title: "Not helpful" },
        icon("down", 16));
      const row = h("div", { class: "feedback", part: "feedback" }, up, down);
      let reasonForm = null;
      const sync = () => {
        up.setAttribute("aria-pressed", String(m.rating === "up"));
        down.setAttribute("aria-pressed", String(m.rating === "down"));
      };
      const hideReason = () => { if (reasonForm) reasonForm.remove(); reasonForm = null; };
      const showReason = () => {
        const input = h("input", { type: "text", maxlength: "500", "aria-label": "What was wrong? (optional)",
          placeholder: "What was wrong? (optional)" });
        reasonForm = h("form", { class: "reason", part: "feedback-reason" }, input,
          h("button", { type: "submit", class: "btn" }, "Send"));
        reasonForm.addEventListener("submit", async (e) => {
          e.preventDefault();
          const reason = input.value.trim().slice(0, 500);
          const form = reasonForm;
          if (!reason) return hideReason();
          for (const c of form.elements) c.disabled = true;
          const ok = await this.postFeedback(m.message_id, "down", reason);
          if (ok) form.replaceWith(h("div", { class: "thanks" }, "Thanks for your feedback."));
          else for (const c of form.elements) c.disabled = false;
          if (ok && reasonForm === form) reasonForm = null;
        });
        row.after(reasonForm);
        input.focus();
      };
      const rate = async (rating) => {
        if (m.rating === rating) return;
        const previous = m.rating;
        m.rating = rating;
        sync();
        if (rating === "down") showReason(); else hideReason();
        if (await this.postFeedback(m.message_id, rating)) return this.saveConversation();
        if (m.rating === rating) { m.rating = previous; sync(); hideReason(); }
      };
      up.addEventListener("click", () => rate("up"));
      down.addEventListener("click", () => rate("down"));
      sync();
      view.el.append(row);
    }

    async postFeedback(messageId, rating, reason) {
      const body = { visitor_id: this.visitorId, message_id: messageId, rating };
      if (reason) body.reason = reason;
      try {
        return (await this.request("/v1/feedback", { body })).ok;
      } catch {
        return false;
      }
    }

    /**
     * An error element ([part=error], text only), wrapped with a "Try again"
     * button when retry is given. Only the newest error is the live
     * [part=error]: older banners are removed, older in-answer errors keep
     * their text but lose the part attribute.
     */
    errorEl(err, { retry = null, banner = false, live = true } = {}) {
      if (live) this.clearErrors();
      const el = h("div", { class: "error", "data-code": err.code || "unknown" }, errorText(err));
      if (live) el.setAttribute("part", "error");
      if (!retry && !banner) return el;
      const box = h("div", { class: banner ? "error-box banner" : "error-box" }, el);
      if (retry) {
        const btn = h("button", { type: "button", class: "btn" }, "Try again");
        btn.addEventListener("click", retry);
        box.append(btn);
      }
      return box;
    }

    clearErrors() {
      for (const old of this.shadow.querySelectorAll('[part="error"]')) {
        const banner = old.closest(".banner");
        if (banner) banner.remove();
        else old.removeAttribute("part");
      }
    }

    showHint(text) {
      this.hintEl.textContent = text;
    }

    setBusy(busy) {
      this.busy = busy;
      this.sendBtn.disabled = busy || !this.config || this.input.disabled;
      this.messagesEl.setAttribute("aria-busy", String(busy));
    }

    scrollToBottom() {
      this.messagesEl.scrollTop = this.messagesEl.scrollHeight;
    }

    nearBottom() {
      const m = this.messagesEl;
      return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
    }

    // ---- Sending ----

    async send(raw) {
      if (!this.config || this.input.disabled) return;
      if (this.busy) return this.showHint("Please wait until the answer is complete.");
      const text = String(raw).trim();
      if (!text) return this.showHint("Please type a message first.");
      const length = [...text].length;
      if (length > MAX_MESSAGE_CHARS) {
        return this.showHint(`Your message is too long (${length} characters). The limit is ${MAX_MESSAGE_CHARS}.`);
      }
      this.showHint("");
      if (navigator.onLine === false) {
        this.messagesEl.append(this.errorEl({ code: "offline" }, { banner: true }));
        return this.scrollToBottom();
      }
      this.clearErrors();
      if (this.input.value.trim() === text) this.input.value = "";
      this.autosize();

      const answer = { role: "assistant", text: "", sources: [], message_id: null, rating: null, error: null };
      const visitor = this.visitorEl(text);
      const view = this.answerView(answer, "streaming");
      this.messagesEl.append(visitor, view.el);
      this.setBusy(true);
      this.updateChips();
      this.scrollToBottom();

      const ctl = new AbortController();
      this.abortCtl = ctl;
      const finish = () => {
        if (this.abortCtl !== ctl) return; // superseded by "New conversation"
        this.abortCtl = null;
        this.setBusy(false);
        this.updateChips();
        this.showHint("");
      };
      // The request never reached a stream: take the message back so it can be retried.
      const failEarly = (err) => {
        visitor.remove();
        view.el.remove();
        if (!this.input.value.trim()) { this.input.value = text; this.autosize(); }
        this.messagesEl.append(this.errorEl(err, { banner: true }));
        if (FATAL_CODES.has(err.code)) this.input.disabled = true;
        finish();
        if (err.code === "conversation_limit_reached" && err.leadForm) this.maybeShowLeadForm(true);
        this.scrollToBottom();
      };

      let res;
      try {
        res = await this.request("/v1/chat", {
          accept: "text/event-stream", signal: ctl.signal,
          body: { visitor_id: this.visitorId, conversation_id: this.conv.conversation_id, message: text,
            page_url: location.href },
        });
      } catch {
        return ctl.signal.aborted ? undefined : failEarly({ code: "offline" });
      }
      if (!res.ok) {
        const err = await readError(res);
        return ctl.signal.aborted ? undefined : failEarly(err);
      }
      if (ctl.signal.aborted) return;
      this.conv.messages.push({ role: "visitor", text, sources: [], message_id: null, rating: null, error: null });
      this.saveConversation();

      try {
        const type = res.headers.get("Content-Type") || "";
        if (type.includes("application/json")) {
          const data = await res.json();
          if (ctl.signal.aborted) return;
          this.onStreamEvent(view, "meta", data);
          this.onStreamEvent(view, "token", { text: typeof data.answer === "string" ? data.answer : "" });
          this.onStreamEvent(view, "sources", data);
          this.onStreamEvent(view, "done", data);
        } else if (res.body) {
          await readEventStream(res.body, (name, data) => {
            if (!ctl.signal.aborted) this.onStreamEvent(view, name, data);
          });
        }
        if (!ctl.signal.aborted && view.el.dataset.state === "streaming") {
          this.failAnswer(view, { code: "stream_interrupted" }); // ended without done/error
        }
      } catch {
        if (ctl.signal.aborted) return;
        if (view.el.dataset.state === "streaming") this.failAnswer(view, { code: "offline" });
      }
      if (ctl.signal.aborted) return;
      this.conv.messages.push(answer);
      this.saveConversation();
      finish();
      this.maybeShowLeadForm(view.offerLeadForm === true && this.conv.lead !== "dismissed");
    }

    onStreamEvent(view, name, data) {
      if (view.el.dataset.state !== "streaming") return; // nothing after done/error
      const follow = this.nearBottom();
      if (name === "meta") {
        if (typeof data.conversation_id === "string" && data.conversation_id) {
          this.conv.conversation_id = data.conversation_id;
          this.saveConversation();
        }
      } else if (name === "token") {
        if (typeof data.text !== "string") return;
        view.m.text += data.text;
        this.renderAnswerText(view); // re-render the growing Markdown on every token
      } else if (name === "sources") {
        this.setSources(view, data.sources);
      } else if (name === "done") {
        if (typeof data.message_id === "string" && data.message_id) view.m.message_id = data.message_id;
        // A refusal that offers to take contact details: the form opens.
        view.offerLeadForm = data.offer_lead_form === true;
        view.el.dataset.state = "done";
        this.renderAnswerText(view);
        if (view.m.message_id) this.addFeedback(view);
      } else if (name === "error") {
        this.failAnswer(view, { code: typeof data.code === "string" ? data.code : "unknown",
          message: typeof data.message === "string" ? data.message : "" });
      }
      if (follow) this.scrollToBottom();
    }

    failAnswer(view, err) {
      view.el.dataset.state = "error";
      view.m.error = err.code;
      this.renderAnswerText(view);
      view.bubble.append(this.errorEl(err));
      if (err.code === "conversation_limit_reached" && err.leadForm) this.maybeShowLeadForm(true);
    }

    newConversation() {
      if (this.abortCtl) this.abortCtl.abort();
      this.abortCtl = null;
      this.conv = { conversation_id: null, messages: [], lead: null };
      this.saveConversation();
      this.showHint("");
      if (!this.config) return;
      this.setBusy(false);
      this.renderTranscript();
      if (!this.input.disabled) this.input.focus();
    }

    // ---- Lead form ----

    /** Shows the contact form when due (or forced, after conversation_limit_reached). */
    maybeShowLeadForm(force) {
      const lead = this.config && this.config.lead;
      if (!lead || this.conv.lead === "submitted") return;
      if (!force) {
        if (this.leadFormEl || !lead.enabled || !lead.fields.length || this.conv.lead === "dismissed") return;
        if (this.busy) return;
        const sent = this.conv.messages.filter((m) => m.role === "visitor").length;
        if (sent < lead.after) return;
      }
      if (!this.leadFormEl) this.leadFormEl = this.buildLeadForm(lead.fields.length ? lead.fields : ["name", "email", "message"]);
      this.messagesEl.append(this.leadFormEl); // (re)placed at the end
      this.scrollToBottom();
    }

    buildLeadForm(fields) {
      const controls = {};
      const form = h("form", { class: "lead", part: "lead-form" },
        h("p", null, "Leave your contact details and we will get back to you."));
      for (const name of fields) {
        const spec = LEAD_FIELDS[name];
        const control = spec.textarea
          ? h("textarea", { name, rows: "3", maxlength: spec.max })
          : h("input", { name, type: spec.type, autocomplete: spec.autocomplete, maxlength: spec.max });
        controls[name] = control;
        form.append(h("label", { class: "field" }, h("span", null, spec.label), control));
      }
      const status = h("div", { "aria-live": "polite" });
      const submit = h("button", { type: "submit", class: "btn primary" }, "Send");
      const dismiss = h("button", { type: "button", class: "btn" }, "No thanks");
      form.append(status, h("div", { class: "actions" }, submit, dismiss));
      dismiss.addEventListener("click", () => {
        form.remove();
        this.leadFormEl = null;
        this.conv.lead = "dismissed";
        this.saveConversation();
        this.input.focus();
      });
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        const body = { visitor_id: this.visitorId };
        if (this.conv.conversation_id) body.conversation_id = this.conv.conversation_id;
        for (const [name, control] of Object.entries(controls)) {
          if (control.value.trim()) body[name] = control.value.trim();
        }
        status.replaceChildren();
        if (Object.keys(body).every((k) => k === "visitor_id" || k === "conversation_id")) {
          return status.append("Please fill in at least one field.");
        }
        submit.disabled = true;
        let err = null;
        try {
          const res = await this.request("/v1/contact", { body });
          if (!res.ok) err = await readError(res);
        } catch {
          err = { code: "offline" };
        }
        submit.disabled = false;
        if (err) return status.append(this.errorEl(err));
        this.conv.lead = "submitted";
        this.saveConversation();
        this.leadFormEl = null;
        form.replaceWith(h("div", { class: "note", part: "lead-thanks" },
          "Thank you! We have received your details and will be in touch."));
      });
      return form;
    }
  }

  /** Black or white text, whichever contrasts more with the #rrggbb colour. */
  function onColor(hex) {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    return (1.05 / (lum + 0.05)) >= ((lum + 0.05) / 0.05) ? "#fff" : "#111";
  }

  // ---- Boot ------------------------------------------------------------------

  try {
    if (window.customElements && !customElements.get(TAG)) {
      customElements.define(TAG, class extends HTMLElement {});
    }
  } catch { /* another copy won the race; any <witzo-chat> works as a shadow host */ }

  const widget = new Widget({
    key: script.getAttribute("data-witzo-key") || "",
    api: (script.getAttribute("data-witzo-api") || "").trim().replace(/\/+$/, ""),
    preview: script.getAttribute("data-witzo-preview") || "",
    openOnLoad: script.getAttribute("data-witzo-open") === "true",
  });
  const mount = () => {
    document.body.append(widget.host);
    widget.start();
  };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
