/// The one script of the web app (served as `/app.js`, never inline, so the Content-Security-
/// Policy can forbid inline script): sorting by a column, filtering by text or `metric > value`,
/// and hiding columns. Pages are complete without it.
enum UIScript {
    static let source = #"""
    (function () {
      const table = document.getElementById('runs');
      if (!table) return;
      const headers = Array.from(table.tHead.rows[0].cells);
      const body = table.tBodies[0];
      // Sort: a header click sorts the commits, keeping each commit's experiments under it.
      headers.forEach(th => {
        th.addEventListener('click', () => {
          const index = Array.from(table.tHead.rows[0].cells).indexOf(th);
          const ascending = th.dataset.order !== 'asc';
          headers.forEach(h => delete h.dataset.order);
          th.dataset.order = ascending ? 'asc' : 'desc';
          const groups = [];
          for (const row of Array.from(body.rows)) {
            if (row.classList.contains('commit') || groups.length === 0) groups.push([row]); else groups[groups.length - 1].push(row);
          }
          const value = row => {
            const text = row.cells[index].textContent.trim();
            const number = parseFloat(text);
            return th.dataset.type === 'num' && !isNaN(number) ? number : text;
          };
          groups.sort((a, b) => {
            const x = value(a[0]), y = value(b[0]);
            if (x === y) return 0;
            if (x === '' ) return 1;
            if (y === '') return -1;
            return (x < y ? -1 : 1) * (ascending ? 1 : -1);
          });
          for (const group of groups) for (const row of group) body.appendChild(row);
        });
      });
      // Filter: plain text matches any cell; `COLUMN OP NUMBER` compares a column.
      const filter = document.getElementById('filter');
      const apply = () => {
        const text = filter.value.trim();
        const match = text.match(/^(.+?)\s*(>=|<=|>|<|==|!=)\s*(-?[0-9.eE+-]+)$/);
        const current = Array.from(table.tHead.rows[0].cells);
        const column = match ? current.findIndex(h => h.dataset.column === match[1].trim()) : -1;
        for (const row of Array.from(body.rows)) {
          let shown = true;
          if (match && column >= 0) {
            const v = parseFloat(row.cells[column].textContent), bound = parseFloat(match[3]);
            shown = !isNaN(v) && ({'>': v > bound, '>=': v >= bound, '<': v < bound, '<=': v <= bound, '==': v === bound, '!=': v !== bound})[match[2]];
          } else if (text) {
            shown = row.textContent.toLowerCase().includes(text.toLowerCase());
          }
          row.classList.toggle('hidden', !shown);
        }
      };
      filter.addEventListener('input', apply);
      // Columns: per param and metric column, a checkbox hides or shows it and arrows move it
      // one place left or right (among the param and metric columns).
      const chooser = document.getElementById('columns');
      const position = th => Array.from(table.tHead.rows[0].cells).indexOf(th);
      const move = (th, step) => {
        const from = position(th), to = from + step;
        const target = table.tHead.rows[0].cells[to];
        if (!target || !target.dataset.column) return;
        for (const row of [table.tHead.rows[0], ...Array.from(body.rows)]) {
          const cell = row.cells[from], other = row.cells[to];
          if (step < 0) row.insertBefore(cell, other); else row.insertBefore(other, cell);
        }
      };
      headers.forEach(th => {
        if (!th.dataset.column) return;
        const label = document.createElement('span');
        label.className = 'column-control';
        label.dataset.column = th.dataset.column;
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.checked = true;
        box.title = 'show ' + th.dataset.column;
        box.addEventListener('change', () => {
          const index = position(th);
          for (const row of [table.tHead.rows[0], ...Array.from(body.rows)]) row.cells[index].classList.toggle('hidden', !box.checked);
        });
        const left = document.createElement('button');
        left.type = 'button'; left.textContent = '◀'; left.className = 'left'; left.title = 'move left';
        left.addEventListener('click', () => move(th, -1));
        const right = document.createElement('button');
        right.type = 'button'; right.textContent = '▶'; right.className = 'right'; right.title = 'move right';
        right.addEventListener('click', () => move(th, 1));
        label.append(box, ' ' + th.dataset.column + ' ', left, right);
        chooser.appendChild(label);
      });
    })();
    """#
}
