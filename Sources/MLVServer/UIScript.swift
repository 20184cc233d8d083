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
      headers.forEach((th, index) => {
        th.addEventListener('click', () => {
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
        const column = match ? headers.findIndex(h => h.dataset.column === match[1].trim()) : -1;
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
      // Columns: a checkbox per param and metric column hides or shows it.
      const chooser = document.getElementById('columns');
      headers.forEach((th, index) => {
        if (!th.dataset.column) return;
        const label = document.createElement('label');
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.checked = true;
        box.dataset.index = index;
        box.addEventListener('change', () => {
          for (const row of [table.tHead.rows[0], ...Array.from(body.rows)]) row.cells[index].classList.toggle('hidden', !box.checked);
        });
        label.appendChild(box);
        label.appendChild(document.createTextNode(' ' + th.dataset.column));
        chooser.appendChild(label);
      });
    })();
    """#
}
