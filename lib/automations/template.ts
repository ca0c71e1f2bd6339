import { PATH, valueAt } from './paths.ts';

/**
 * Automation templates (pure): `{{contact.phone}}`, `{{steps.lead.output.id}}`. A
 * placeholder is a dotted path looked up in the run's context and nothing else: templates
 * never run code. Missing values render empty; objects render as JSON.
 */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

/** What is wrong with a template's syntax, or null: unbalanced braces, or a placeholder that is not a dotted path. */
export function templateProblem(template: string): string | null {
  const stripped = template.replace(PLACEHOLDER, '');
  if (stripped.includes('{{') || stripped.includes('}}')) return 'has unbalanced {{ }}';
  for (const m of template.matchAll(PLACEHOLDER)) {
    const path = m[1].trim();
    if (!PATH.test(path)) return `{{${m[1]}}} is not a field path such as {{contact.phone}}`;
  }
  return null;
}

const text = (value: unknown): string => {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
};

export function renderTemplate(template: string, context: unknown): string {
  return template.replace(PLACEHOLDER, (_whole, path: string) => text(valueAt(context, path.trim())));
}

/**
 * Every string inside a value rendered (an action's fields). A string that is exactly one
 * placeholder keeps the value's own type (`"{{lead.value}}"` stays a number).
 */
export function renderFields<T>(value: T, context: unknown): T {
  if (typeof value === 'string') {
    const whole = /^\{\{([^{}]*)\}\}$/.exec(value);
    if (whole && PATH.test(whole[1].trim())) {
      const found = valueAt(context, whole[1].trim());
      return (found === undefined ? '' : found) as T;
    }
    return renderTemplate(value, context) as T;
  }
  if (Array.isArray(value)) return value.map((v) => renderFields(v, context)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderFields(v, context)])) as T;
  return value;
}
