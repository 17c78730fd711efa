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
