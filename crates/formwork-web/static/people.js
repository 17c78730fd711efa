// A searchable person picker: people are chosen by display name (with their department), never
// by login id. Markup (server-rendered, works without this script):
//   <div class="person-picker" data-person-picker>
//     <input type="text" name="FIELD" value="赵敏" data-value="zhaomin" ...>
//   </div>
// The script moves `name` to a hidden input that posts the chosen person's username, and lists
// matches from GET /api/v1/people?q= (which shows only whom the caller may see) as an ARIA
// combobox: arrows move, Enter picks, Escape closes. A name typed and not picked is posted as
// typed; the server accepts a display name that names exactly one person.
(() => {
  const zh = document.documentElement.lang.toLowerCase().startsWith("zh");
  const words = zh
    ? { none: "没有找到这个人", searching: "搜索中…" }
    : { none: "Nobody found", searching: "Searching…" };
  let serial = 0;

  const setUp = (box) => {
    const input = box.querySelector("input[type=text], input[type=search]");
    if (!input || box.dataset.ready) return;
    box.dataset.ready = "1";
    serial += 1;
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = input.name;
    // The username when the server knew it, else whatever was typed (posted back as typed).
    hidden.value = input.dataset.value || input.value;
    input.removeAttribute("name");
    input.removeAttribute("list");
    box.appendChild(hidden);

    const list = document.createElement("ul");
    list.className = "person-options";
    list.id = `${input.id || "person"}-options-${serial}`;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    box.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");

    let found = [];
    let active = -1;
    let timer = null;
    let asked = 0;

    const close = () => {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    };
    const mark = (i) => {
      active = i;
      [...list.children].forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
      const li = list.children[i];
      if (li && li.id) {
        input.setAttribute("aria-activedescendant", li.id);
        li.scrollIntoView({ block: "nearest" });
      }
    };
    const pick = (person) => {
      input.value = person.display_name;
      hidden.value = person.username;
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    };
    const show = (people, note) => {
      list.replaceChildren();
      found = people;
      if (note) {
        const li = document.createElement("li");
        li.className = "person-note";
        li.textContent = note;
        list.appendChild(li);
      }
      people.forEach((p, i) => {
        const li = document.createElement("li");
        li.id = `${list.id}-${i}`;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        const name = document.createElement("span");
        name.className = "person-name";
        name.textContent = p.display_name;
        li.appendChild(name);
        if (p.department) {
          const dept = document.createElement("span");
          dept.className = "person-dept";
          dept.textContent = p.department;
          li.appendChild(dept);
        }
        // mousedown, not click: it lands before the input's blur closes the list.
        li.addEventListener("mousedown", (e) => {
          e.preventDefault();
          pick(p);
        });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    };
    const search = async () => {
      const q = input.value.trim();
      const mine = ++asked;
      try {
        const res = await fetch(`/api/v1/people?limit=20&q=${encodeURIComponent(q)}`, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (!res.ok || mine !== asked) return;
        const people = await res.json();
        if (document.activeElement !== input) return;
        show(people, people.length ? null : words.none);
      } catch {
        // Typing a name still works without the list.
      }
    };

    input.addEventListener("input", () => {
      // What is typed is posted as typed until someone is picked.
      hidden.value = input.value.trim();
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    input.addEventListener("focus", () => {
      if (!input.value.trim()) search();
    });
    input.addEventListener("blur", () => setTimeout(close, 100));
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (list.hidden) {
          search();
          return;
        }
        if (!found.length) return;
        const step = e.key === "ArrowDown" ? 1 : -1;
        mark((active + step + found.length) % found.length);
      } else if (e.key === "Enter" && !list.hidden && active >= 0) {
        e.preventDefault();
        pick(found[active]);
      } else if (e.key === "Escape" && !list.hidden) {
        e.preventDefault();
        close();
      }
    });
  };

  const setUpAll = (root) => {
    if (!root.querySelectorAll) return;
    if (root.matches("[data-person-picker]")) setUp(root);
    root.querySelectorAll("[data-person-picker]").forEach((box) => {
      if (!box.closest("template")) setUp(box);
    });
  };
  document.addEventListener("DOMContentLoaded", () => {
    setUpAll(document.body);
    // Sub-table rows added later get their pickers too.
    new MutationObserver((changes) => {
      for (const change of changes) change.addedNodes.forEach(setUpAll);
    }).observe(document.body, { childList: true, subtree: true });
  });
})();
