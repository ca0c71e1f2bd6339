/**
 * Message templates (pure): `{{contact.name}}`, `{{event.start_time}}`. Placeholders are
 * looked up in a fixed list of names and nothing else, so a template can never run code
 * or reach a value it was not given. Times are written in the recipient's zone and locale.
 */
export const TEMPLATE_FIELDS = [
  'contact.name',
  'contact.first_name',
  'contact.phone',
  'contact.email',
  'event.title',
  'event.start_time',
  'event.end_time',
  'event.date',
  'event.time',
  'event.location',
  'tenant.name',
] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

export type TemplateValues = Partial<Record<TemplateField, string | Date | null | undefined>>;

const PLACEHOLDER = /\{\{\s*([a-z_.]+)\s*\}\}/g;
const known = new Set<string>(TEMPLATE_FIELDS);

/** The placeholders a template uses that are not in TEMPLATE_FIELDS. */
export function unknownPlaceholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((name) => !known.has(name)))];
}

export interface RenderOptions {
  timezone: string;
  locale: string;
}

function formatValue(field: string, value: string | Date, o: RenderOptions): string {
  if (typeof value === 'string') return value;
  const style: Intl.DateTimeFormatOptions =
    field.endsWith('.date') ? { dateStyle: 'full' } : field.endsWith('.time') ? { timeStyle: 'short' } : { dateStyle: 'medium', timeStyle: 'short' };
  return new Intl.DateTimeFormat(o.locale, { ...style, timeZone: o.timezone }).format(value);
}

/** The template with each known placeholder replaced (empty when the value is missing). */
export function renderTemplate(template: string, values: TemplateValues, o: RenderOptions): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    if (!known.has(name)) return '';
    const value = values[name as TemplateField];
    return value === null || value === undefined ? '' : formatValue(name, value, o);
  });
}

export function isLocale(locale: string): boolean {
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([locale]).length > 0;
  } catch {
    return false;
  }
}
