// The department tree of /admin/departments: drag a department's line onto another department
// to move it (with everything under it) there, or onto the strip that shows below the tree to
// make it a top department. A drop fills in the dragged department's own "移动到…" form and
// submits it, so a drag and a keyboard move are one request, checked by the server the same
// way (a move under its own sub-department comes back refused, in words).
(() => {
  const tree = document.getElementById("dept-tree");
  const top = document.getElementById("dept-top");
  if (!tree || !top) return;
  let dragged = null;

  const targetOf = (event) => {
    const el = event.target instanceof Element ? event.target : null;
    const target = el && el.closest("li.dept, #dept-top");
    return target && target !== dragged ? target : null;
  };
  const clear = () => {
    document.querySelectorAll(".drop-target").forEach((el) => el.classList.remove("drop-target"));
  };

  tree.addEventListener("dragstart", (event) => {
    const line = event.target instanceof Element && event.target.closest(".dept-line");
    if (!line) return;
    dragged = line.closest("li.dept");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.name || "");
    dragged.classList.add("dragging");
    top.hidden = false;
  });
  tree.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clear();
    top.hidden = true;
  });
  document.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const target = targetOf(event);
    clear();
    if (!target) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    target.classList.add("drop-target");
  });
  document.addEventListener("drop", (event) => {
    if (!dragged) return;
    const target = targetOf(event);
    if (!target) return;
    event.preventDefault();
    const form = dragged.querySelector("form.dept-move");
    const select = form.querySelector("select[name=parent]");
    const parent = target.id === "dept-top" ? "" : target.dataset.dept;
    // Its own sub-departments are not offered in the select; the server says why not.
    if (![...select.options].some((o) => o.value === parent)) {
      select.add(new Option(target.dataset.name || "", parent));
    }
    select.value = parent;
    form.submit();
  });
})();
