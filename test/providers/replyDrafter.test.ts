import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createReplyDrafter } from '../../providers/llm/replyDrafter.ts';
import { ProviderError } from '../../providers/errors.ts';
import { type FakeOpenAi, startFakeOpenAi } from '../fakes/openaiServer.ts';

let fake: FakeOpenAi;
beforeAll(async () => {
  fake = await startFakeOpenAi();
});
afterAll(() => fake.close());

const drafter = () => createReplyDrafter({ apiKey: 'sk-draft-secret', baseURL: fake.url, model: 'gpt-test', timeoutMs: 2_000 })!;
const input = { message: 'Are you open on Saturdays?', customerName: 'Sam', passages: [{ title: 'Opening hours', content: 'Saturdays 10am to 2pm.' }, { title: 'Holidays', content: 'Closed on public holidays.' }] };

describe('reply drafter', () => {
  it('is off without a key', () => {
    expect(createReplyDrafter({ model: 'gpt-test', timeoutMs: 1_000 })).toBeNull();
  });

  it('sends the numbered passages and the message, and answers the model\'s text', async () => {
    fake.enqueue({ content: '  Yes, Sam: we are open on Saturdays from 10am to 2pm.  ' });
    expect(await drafter().draft(input)).toBe('Yes, Sam: we are open on Saturdays from 10am to 2pm.');
    const request = fake.requests.at(-1)!;
    expect(request.body.model).toBe('gpt-test');
    const [system, user] = request.body.messages as Array<{ role: string; content: string }>;
    expect(system.content).toMatch(/using only the numbered knowledge-base passages/);
    expect(user.content).toBe('Passages:\n\n[1] Opening hours\nSaturdays 10am to 2pm.\n\n[2] Holidays\nClosed on public holidays.\n\nCustomer (Sam) wrote:\nAre you open on Saturdays?');
    expect(drafter().name).toBe('openai:gpt-test');
  });

  it('fails as a ProviderError that does not carry the key', async () => {
    fake.enqueue({ status: 401 });
    const err = await drafter().draft(input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(JSON.stringify(err)).not.toContain('sk-draft-secret');
    expect((err as Error).message).not.toContain('sk-draft-secret');
  });
});
