/**
 * Pulls contact details a sender writes into the message body: emails, phone numbers,
 * their name ("my name is…", "I'm…", a signature) and company ("from Acme Corp"). Pure.
 */
import { normalizePhone } from '../phone.ts';

/** Same shape as triage's extracted contact. */
export interface ContactDetails {
  name: string | null;
  email: string | null;
  phone: string | null;
  company: string | null;
}

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;

/** Distinct email addresses in `text`, lowercased, in order of appearance. */
export function extractEmails(text: string): string[] {
  const found = (text.match(EMAIL) ?? []).map((e) => e.toLowerCase());
  return [...new Set(found)];
}

/** Re-exported: the project's one phone spelling (lib/phone.ts). */
export { normalizePhone };

/** Dates and clock times look like digit runs too; blank them (keeping offsets) before hunting for phones. */
function maskDatesAndTimes(text: string): string {
  const blank = (m: string): string => ' '.repeat(m.length);
  return text
    .replace(/\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?/g, blank)
    .replace(/\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b/g, blank)
    .replace(/\b\d{1,2}:\d{2}\b/g, blank);
}

const PHONE_CANDIDATE = /(?<![\p{L}\p{N}+@._#-])(?:\+|\b)\(?\d[\d \t().-]{5,}\d(?![\p{L}\p{N}@])/gu;

/** Distinct phone numbers in `text`, normalised with normalizePhone, in order of appearance. */
export function extractPhones(text: string): string[] {
  const found: string[] = [];
  for (const match of maskDatesAndTimes(text).matchAll(PHONE_CANDIDATE)) {
    // A decimal number ("1234.56") or a version string is not a phone number.
    if (/^\d+\.\d{1,2}$/.test(match[0]) || /^\d+(?:\.\d+){2,}$/.test(match[0])) continue;
    // An unbroken run of fewer than ten digits is more likely an order or account number.
    if (/^\d+$/.test(match[0]) && match[0].length < 10) continue;
    const phone = normalizePhone(match[0]);
    if (phone) found.push(phone);
  }
  return [...new Set(found)];
}

const NAME_WORD = "[A-Z][\\p{L}'’-]+";
const NAME = `${NAME_WORD}(?:\\s+${NAME_WORD}){0,2}`;

/** Capitalised words that follow "this is" / "I'm" without being a name. */
const NOT_A_NAME = new Set([
  'Urgent', 'Not', 'The', 'A', 'An', 'So', 'Very', 'Really', 'Regarding', 'About', 'Just', 'Still', 'Sorry', 'Happy',
  'Interested', 'Looking', 'Writing', 'Calling', 'Following', 'Unable', 'Having', 'Getting', 'Trying', 'Ridiculous',
  'Unacceptable', 'Terrible', 'Great', 'Here', 'There', 'It', 'This', 'That', 'What', 'Your', 'My', 'Our', 'We', 'I',
]);

const SELF_INTRODUCTION = new RegExp(`(?:\\b[Mm]y name is|\\b[Tt]his is|\\bI['’]m|\\bI am|\\b[Nn]ame:)\\s+(${NAME})`, 'u');
const SIGN_OFF_LINE = /^\s*(?:thanks|thank you|many thanks|best|best regards|kind regards|regards|warm regards|cheers|sincerely|yours|saludos|gracias|viele grüße|mit freundlichen grüßen|grüße|cordialement|merci)\s*[,!.]?\s*$/i;
const SIGN_OFF_INLINE = new RegExp(`(?:thanks|thank you|regards|cheers|best|sincerely)[,!]?\\s+(${NAME})\\s*[.!]?\\s*$`, 'iu');
const DASH_SIGNATURE = new RegExp(`(?:^|\\n)\\s*[-–—]{1,2}\\s*(${NAME})\\s*$`, 'u');

function plausibleName(candidate: string | undefined): string | null {
  if (!candidate) return null;
  const words = candidate.trim().split(/\s+/);
  // Drop trailing capitalised words that are not names ("Jane Doe Thanks").
  while (words.length > 0 && NOT_A_NAME.has(words[words.length - 1])) words.pop();
  if (words.length === 0 || NOT_A_NAME.has(words[0])) return null;
  return words.join(' ');
}

/** The sender's name as they give it: a self-introduction first, else a signature under a sign-off. */
export function extractName(text: string): string | null {
  const introduced = plausibleName(SELF_INTRODUCTION.exec(text)?.[1]);
  if (introduced) return introduced;

  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 2; i >= 0; i--) {
    if (!SIGN_OFF_LINE.test(lines[i])) continue;
    const next = lines.slice(i + 1).find((line) => line.trim() !== '')?.trim();
    const signed = next && new RegExp(`^${NAME}$`, 'u').test(next) ? plausibleName(next) : null;
    if (signed) return signed;
  }
  // SIGN_OFF_INLINE is case-insensitive for the sign-off word, so re-check the name's capitals.
  const inline = SIGN_OFF_INLINE.exec(text.trim())?.[1];
  if (inline && new RegExp(`^${NAME}$`, 'u').test(inline)) return plausibleName(inline);
  return plausibleName(DASH_SIGNATURE.exec(text.trim())?.[1]);
}

const COMPANY_SUFFIX = '(?:Inc|LLC|L\\.L\\.C|Ltd|Corp|Corporation|GmbH|AG|S\\.A|SA|SL|SARL|BV|PLC|Co|Company|Group|Limited|Labs|Technologies|Solutions)';
const COMPANY_WORD = "[A-Z0-9][\\p{L}\\p{N}&'’-]*";
/** "at Acme Inc", "with Globex GmbH": a company suffix makes it safe to read a name after any preposition. */
const SUFFIXED_COMPANY = new RegExp(`\\b(?:at|from|with|for|of)\\s+((?:${COMPANY_WORD}\\s+){1,3}${COMPANY_SUFFIX})\\b\\.?`, 'u');
/** "I'm Jane Doe from Acme Corp": "from" right after a self-introduction names the employer. */
const INTRODUCED_COMPANY = new RegExp(`(?:\\b[Mm]y name is|\\b[Tt]his is|\\bI['’]m|\\bI am)\\s+${NAME}\\s*,?\\s+(?:from|at|with)\\s+(${COMPANY_WORD}(?:\\s+${COMPANY_WORD}){0,3})`, 'u');
const LABELLED_COMPANY = /\b(?:company|company name|organi[sz]ation|empresa|firma|société)\s*:\s*([^\n,;]+)/iu;

const NOT_A_COMPANY = new Set(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday', 'The', 'Today', 'Tomorrow']);

/** The sender's company, if they name it: "company: X", "from X" after introducing themselves, or a name with a legal suffix. */
export function extractCompany(text: string): string | null {
  const labelled = LABELLED_COMPANY.exec(text)?.[1]?.trim();
  if (labelled) return labelled;
  const candidates = [INTRODUCED_COMPANY.exec(text)?.[1], SUFFIXED_COMPANY.exec(text)?.[1]];
  for (const candidate of candidates) {
    const company = candidate?.trim().replace(/[.,]+$/, '');
    if (company && !NOT_A_COMPANY.has(company.split(/\s+/)[0])) return company;
  }
  return null;
}

/**
 * Contacts written into the message. The first carries the sender's own name and company
 * with the first email and phone; further emails/phones become extra contacts, paired by
 * position. Empty when the text names no one and gives no details.
 */
export function extractContacts(text: string): ContactDetails[] {
  const emails = extractEmails(text);
  const phones = extractPhones(text);
  const name = extractName(text);
  const company = extractCompany(text);
  const contacts: ContactDetails[] = [];
  const count = Math.max(emails.length, phones.length, name || company ? 1 : 0);
  for (let i = 0; i < count; i++) {
    contacts.push({
      name: i === 0 ? name : null,
      email: emails[i] ?? null,
      phone: phones[i] ?? null,
      company: i === 0 ? company : null,
    });
  }
  return contacts;
}
