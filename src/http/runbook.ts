// GET /runbook: docs/runbook.md as one HTML page, with an anchor per alert — the target of every
// shipped alert's runbook_url (`<exporter>/runbook#<alertname in lower case>`), so that the link in
// a page opens without any other server. The build copies the file into dist/; from the sources
// it is read where it is written.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Marked } from 'marked';

/** dist/runbook.md next to the built code, else docs/runbook.md of the sources. */
const CANDIDATES = ['../runbook.md', '../../docs/runbook.md'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));

/** The anchor of a heading: lower case, spaces as dashes, nothing else but letters, digits, - and _ (GitHub's rule for these headings). */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '-')
    .replace(/[^a-z0-9_-]/g, '');
}

const STYLE =
  'body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:.5rem;overflow-x:auto}code{background:#f4f4f4}h2{border-top:1px solid #ccc;padding-top:1rem}';

/** The page from the runbook's markdown (our own file: its HTML is trusted). */
export function renderRunbook(markdown: string, version: string): string {
  const marked = new Marked({
    renderer: {
      heading({ tokens, depth, text }) {
        return `<h${depth} id="${anchorOf(text)}">${this.parser.parseInline(tokens)}</h${depth}>\n`;
      },
    },
  });
  const body = marked.parse(markdown, { async: false });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Runbook · Alibaba Cloud RDS backup exporter</title><style>${STYLE}</style></head>
<body>
<p><a href="/">Alibaba Cloud RDS backup exporter</a> ${version.replace(/[^0-9A-Za-z.+-]/g, '')} · <a href="/status">status</a></p>
${body}</body></html>
`;
}

/** The rendered page, read once; undefined when the runbook is not where a build or the sources put it. */
export function loadRunbook(version: string): string | undefined {
  const path = CANDIDATES.find((p) => existsSync(p));
  return path === undefined ? undefined : renderRunbook(readFileSync(path, 'utf8'), version);
}
