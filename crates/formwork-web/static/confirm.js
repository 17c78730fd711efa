// Asks before a form whose submit button (or the form itself) carries `data-confirm` goes:
// withdrawing, rejecting, returning and batch approval are not undone by a click.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const button = event.submitter;
  const message = (button && button.dataset.confirm) || form.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// The bell: how many of the person's messages are unread, asked once per page.
document.addEventListener("DOMContentLoaded", async () => {
  const badge = document.querySelector("[data-unread]");
  if (!badge) return;
  try {
    const res = await fetch("/api/v1/notifications/unread-count", { credentials: "same-origin" });
    if (!res.ok) return;
    const { unread } = await res.json();
    if (unread > 0) {
      badge.textContent = unread > 99 ? "99+" : String(unread);
      badge.hidden = false;
    }
  } catch {
    // No count is better than a broken page.
  }
});

// Phones: a list's filters fold behind its 「筛选」 button (which shows how many are set).
// Without this script the filters simply stay open.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".filter-toggle[aria-controls]");
  const panel = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!panel) return;
  const phone = window.matchMedia("(max-width: 640px)");
  const apply = () => {
    toggle.hidden = !phone.matches;
    panel.classList.toggle("is-collapsible", phone.matches);
  };
  toggle.addEventListener("click", () => {
    const open = !panel.classList.contains("is-open");
    panel.classList.toggle("is-open", open);
    toggle.setAttribute("aria-expanded", String(open));
  });
  phone.addEventListener("change", apply);
  apply();
});
