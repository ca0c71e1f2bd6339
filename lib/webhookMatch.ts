/** Whether an endpoint's subscription list (event types, or `*`) covers an event type. */
export function subscribes(subscribed: readonly string[], eventType: string): boolean {
  return subscribed.includes('*') || subscribed.includes(eventType);
}
