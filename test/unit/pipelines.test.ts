import { describe, expect, it } from '@jest/globals';
import { defaultPipelineStages, firstStageId, stageIdFrom, stagesFrom } from '../../lib/pipelines.ts';

describe('stagesFrom', () => {
  it('keeps given ids, makes the others from names, and numbers stages by position', () => {
    const { stages, problem } = stagesFrom([
      { name: 'Démo booked!', probability: 30 },
      { id: 'won', name: 'Closed won', probability: 100 },
    ]);
    expect(problem).toBeNull();
    expect(stages).toEqual([
      { id: 'demo_booked', name: 'Démo booked!', order: 0, probability: 30 },
      { id: 'won', name: 'Closed won', order: 1, probability: 100 },
    ]);
  });

  it('names the problem when two stages would share an id', () => {
    expect(stagesFrom([{ name: 'Won', probability: 100 }, { id: 'won', name: 'Also won', probability: 90 }]).problem).toMatch(/"won"/);
  });

  it('gives a name with no letters or digits an id still', () => {
    expect(stageIdFrom('!!!')).toBe('stage');
    expect(defaultPipelineStages().map((s) => s.id)).toContain('new');
  });
});

describe('firstStageId', () => {
  it('is the stage first by order, not by position in the list, and null for none', () => {
    expect(firstStageId([{ id: 'b', name: 'B', order: 1, probability: 50 }, { id: 'a', name: 'A', order: 0, probability: 10 }])).toBe('a');
    expect(firstStageId([])).toBeNull();
  });
});
