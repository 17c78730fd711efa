// Drag to move on a kanban board (SortableJS: mouse, touch and pen). A drop posts the card's
// own "Move to" form (which works without JavaScript and from the keyboard) asking for JSON;
// the server edits the lane field as an ordinary edit, so it refuses without edit permission
// or while a process holds the record. A refused card goes back where it was and the
// server's message shows above the board.

import Sortable from 'sortablejs';

const board = document.querySelector('[data-kanban]');

function count(lane) {
  const n = lane.querySelectorAll('.kcard').length;
  const badge = lane.querySelector('.lane-count');
  if (badge) badge.textContent = String(n);
}

function say(text) {
  const box = document.getElementById('move-message');
  if (!box) return;
  box.textContent = text;
  box.hidden = !text;
}

async function move(card, lane) {
  const form = card.querySelector('form.kmove');
  const body = new URLSearchParams(new FormData(form));
  body.set('lane', lane);
  const r = await fetch(board.dataset.move, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body,
    credentials: 'same-origin',
  });
  let answer = {};
  try {
    answer = await r.json();
  } catch {
    answer = {};
  }
  if (!r.ok) throw new Error(answer.message || `${r.status}`);
  const select = form.querySelector('select[name="lane"]');
  if (select) select.value = lane;
}

if (board) {
  document.querySelector('.kanban-hint')?.removeAttribute('hidden');
  for (const list of board.querySelectorAll('.lane-cards')) {
    Sortable.create(list, {
      group: {
        name: 'kanban',
        // The lane of records without a value takes no drops: a move sets a value.
        put: (to) => Boolean(to.el.closest('[data-lane]')?.dataset.lane),
      },
      sort: false,
      draggable: '.kcard',
      // The card's link and form stay clickable; a press on them does not start a drag.
      filter: 'a, select, button, label',
      preventOnFilter: false,
      delay: 150,
      delayOnTouchOnly: true,
      ghostClass: 'kcard-ghost',
      chosenClass: 'kcard-chosen',
      onEnd: async (evt) => {
        const { item, from, to, oldIndex } = evt;
        if (from === to) return;
        const fromLane = from.closest('[data-lane]');
        const toLane = to.closest('[data-lane]');
        say('');
        item.classList.add('kcard-busy');
        item.setAttribute('aria-busy', 'true');
        count(fromLane);
        count(toLane);
        try {
          await move(item, toLane.dataset.lane);
        } catch (e) {
          // Back where it was, at the same place in its lane.
          from.insertBefore(item, from.children[oldIndex] ?? null);
          count(fromLane);
          count(toLane);
          say(e.message);
        } finally {
          item.classList.remove('kcard-busy');
          item.removeAttribute('aria-busy');
        }
      },
    });
  }
}
