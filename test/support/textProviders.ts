import { createLocalTextProvider } from '../../providers/twilio/messaging.ts';
import type { TextProvider } from '../../providers/messaging/index.ts';

/** The local sink, noting each number it texts in `sent`: how a test tells a second send from none. */
export function countingTextProvider(sent: string[]): TextProvider {
  const local = createLocalTextProvider();
  return {
    ...local,
    async send(m) {
      sent.push(m.to);
      return local.send(m);
    },
  };
}
