// Dates in the page's language whatever the operating system's: Chromium draws
// <input type=date> in the OS locale (an English Windows shows 12/04/2026 on a Chinese page).
// On a page with date inputs this loads the vendored flatpickr (MIT, static/flatpickr.*) and
// its Chinese locale, and gives each date and date-time input a calendar in the page's
// language; the text stays 2026-12-04 (what 宜搭 shows too, and what the server reads), the
// same whatever the OS. Pages show stored dates as 2026年12月4日 / Dec 4, 2026. Without this
// script the native inputs stay and still work.
(() => {
  const script = document.currentScript;
  const SELECTOR = 'input[type="date"], input[type="datetime-local"]';
  const zh = document.documentElement.lang.toLowerCase().startsWith("zh");

  const load = (tag, attrs) =>
    new Promise((resolve, reject) => {
      const el = document.createElement(tag);
      Object.assign(el, attrs);
      el.onload = resolve;
      el.onerror = reject;
      document.head.appendChild(el);
    });

  let ready = null;
  const library = () => {
    if (!ready) {
      const { flatpickr, flatpickrZh, flatpickrCss } = script.dataset;
      ready = Promise.all([
        load("link", { rel: "stylesheet", href: flatpickrCss }),
        load("script", { src: flatpickr }).then(() =>
          zh ? load("script", { src: flatpickrZh }) : null,
        ),
      ]);
    }
    return ready;
  };

  // Weeks start on Monday (周一) in Chinese calendars.
  const locale = () => (zh ? { ...window.flatpickr.l10ns.zh, firstDayOfWeek: 1 } : "default");

  const enhance = (input) => {
    if (input.dataset.calendar || input.closest("template")) return;
    input.dataset.calendar = "1";
    const withTime = input.type === "datetime-local";
    if (withTime) {
      // A date-time shows 2026-12-04 09:30 and posts 2026-12-04T09:30 from a hidden twin.
      const picker = window.flatpickr(input, {
        locale: locale(),
        disableMobile: true,
        enableTime: true,
        time_24hr: true,
        allowInput: true,
        dateFormat: "Y-m-d\\TH:i",
        altInput: true,
        altFormat: "Y-m-d H:i",
        onChange: () => input.dispatchEvent(new Event("input", { bubbles: true })),
      });
      const shown = picker.altInput;
      if (shown && input.id) {
        shown.id = input.id;
        input.removeAttribute("id");
        shown.placeholder = zh ? "年-月-日 时:分" : "YYYY-MM-DD HH:MM";
      }
      return;
    }
    // A date stays one text input holding 2026-12-04 (what the server reads, typed or
    // picked), with the calendar in the page's language instead of the OS's.
    input.type = "text";
    input.inputMode = "numeric";
    input.autocomplete = "off";
    if (!input.placeholder) input.placeholder = zh ? "年-月-日" : "YYYY-MM-DD";
    window.flatpickr(input, {
      locale: locale(),
      // Phones get the same calendar, not the OS-language native one.
      disableMobile: true,
      allowInput: true,
      dateFormat: "Y-m-d",
      ariaDateFormat: zh ? "Y年n月j日" : "F j, Y",
      onChange: () => input.dispatchEvent(new Event("input", { bubbles: true })),
    });
  };

  const enhanceAll = (root) => {
    const found = root.querySelectorAll ? [...root.querySelectorAll(SELECTOR)] : [];
    if (root.matches && root.matches(SELECTOR)) found.push(root);
    if (found.length === 0) return;
    library()
      .then(() => found.forEach(enhance))
      .catch(() => {
        // The native inputs stay: a date in the OS's words beats no date at all.
      });
  };

  document.addEventListener("DOMContentLoaded", () => {
    enhanceAll(document);
    // Rows a sub-table adds later get their calendars too.
    new MutationObserver((changes) => {
      for (const change of changes) change.addedNodes.forEach(enhanceAll);
    }).observe(document.body, { childList: true, subtree: true });
  });
})();
