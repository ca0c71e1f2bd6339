import { describe, expect, it } from '@jest/globals';
import { agentReply, analyzeUtterance, nextState, openingMessage, summarizeCall, type CallContext, type ConversationState, type Turn } from '../../lib/voice/conversation.ts';

const ctx: CallContext = { agentName: 'Sarah', businessName: 'AI Solutions', leadName: 'John Doe', leadCompany: 'Acme Corp', purpose: 'Discovery call to understand needs' };

describe('analyzeUtterance', () => {
  it('reads seed 004’s answer as interest, in a positive mood', () => {
    const a = analyzeUtterance('Hi Sarah, yes I have a few minutes to chat');
    expect(a).toMatchObject({ intent: 'general_inquiry', objections: [], interest_signals: ['verbal_interest'] });
    expect(analyzeUtterance('Sounds great, I am interested').sentiment).toBeGreaterThan(0);
  });

  it('names objections and buying signals', () => {
    expect(analyzeUtterance('How much does it cost? It sounds expensive and I need to check with my boss')).toMatchObject({
      intent: 'pricing_inquiry',
      objections: ['price', 'authority'],
      interest_signals: ['pricing_interest'],
    });
    expect(analyzeUtterance('Can you show me a demo next week?').interest_signals).toEqual(['demo_interest', 'timeline_interest']);
  });

  it('hears a refusal as one, whatever polite words come with it', () => {
    expect(analyzeUtterance('No thanks, not interested, but thanks for calling')).toMatchObject({ intent: 'not_interested', interest_signals: [] });
    expect(analyzeUtterance('Please stop calling me').intent).toBe('do_not_call');
    expect(analyzeUtterance('Sorry, bad time, I am in a meeting').intent).toBe('busy');
  });
});

describe('the conversation', () => {
  it('moves greeting → discovery → qualification → closing → ended', () => {
    const said = (text: string, state: ConversationState, turns = 1) => nextState(state, analyzeUtterance(text), turns);
    expect(said('Yes, I have a few minutes', 'greeting')).toBe('discovery');
    expect(said('We lose leads in spreadsheets', 'discovery')).toBe('discovery');
    expect(said('We lose leads in spreadsheets', 'discovery', 2)).toBe('qualification');
    expect(said('How much is it?', 'discovery')).toBe('qualification');
    expect(said('Let us schedule a call for Tuesday', 'qualification')).toBe('closing');
    expect(said('Sure', 'closing')).toBe('ended');
    expect(said('Not interested', 'discovery')).toBe('closing');
    expect(said('Not interested', 'closing')).toBe('ended');
  });

  it('opens with the person’s first name and answers an objection before moving on', () => {
    expect(openingMessage(ctx)).toBe("Hi John, this is Sarah calling from AI Solutions. I hope I'm catching you at a good time!");
    const reply = agentReply(ctx, 'qualification', analyzeUtterance('It sounds too expensive for us'));
    expect(reply.should_continue).toBe(true);
    expect(reply.text).toMatch(/^I understand budget matters\..*How soon are you looking/);
    expect(agentReply(ctx, 'closing', analyzeUtterance('Stop calling me')).should_continue).toBe(false);
    expect(agentReply(ctx, 'discovery', analyzeUtterance('Yes')).text).toContain('Acme Corp');
  });
});

describe('summarizeCall', () => {
  const turn = (role: Turn['role'], text: string, state: ConversationState): Turn => ({ role, text, state, ...(role === 'caller' ? { analysis: analyzeUtterance(text) } : {}) });

  it('sums a call up in seed 004’s shape, with a recommendation', () => {
    const turns = [
      turn('agent', openingMessage(ctx), 'greeting'),
      turn('caller', 'Hi Sarah, yes I have a few minutes to chat', 'discovery'),
      turn('agent', '…', 'discovery'),
      turn('caller', 'How much is it? It sounds expensive', 'qualification'),
      turn('agent', '…', 'qualification'),
      turn('caller', 'Can you show me a demo next week? Sounds great', 'closing'),
    ];
    const { summary, analytics } = summarizeCall(turns, 12.5 * 60_000);
    expect(summary).toMatchObject({
      duration_minutes: 12.5,
      total_exchanges: 3,
      conversation_state: 'closing',
      objections_raised: ['price'],
      interest_signals: ['verbal_interest', 'pricing_interest', 'demo_interest', 'timeline_interest'],
      recommendation: expect.stringMatching(/priority/),
    });
    expect(analytics).toMatchObject({ total_turns: 6 });
    expect(analytics.conversion_probability).toBeGreaterThan(0.5);
    expect(analytics.engagement_score).toBeGreaterThan(0);
  });

  it('says not to call again when asked, and scores a refusal low', () => {
    const { summary, analytics } = summarizeCall([turn('agent', 'Hi', 'greeting'), turn('caller', 'Remove my number and never call again', 'closing')], 30_000);
    expect(summary.recommendation).toMatch(/^Do not call/);
    expect(analytics.conversion_probability).toBeLessThan(0.1);
  });
});
