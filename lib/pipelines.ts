export interface PipelineStage {
  id: string;
  name: string;
  order: number;
  probability: number;
}

const DEFAULT_STAGES: Array<[id: string, name: string, probability: number]> = [
  ['new', 'New', 10],
  ['contacted', 'Contacted', 20],
  ['qualified', 'Qualified', 40],
  ['proposal', 'Proposal', 60],
  ['negotiation', 'Negotiation', 80],
  ['won', 'Won', 100],
  ['lost', 'Lost', 0],
];

export function defaultPipelineStages(): PipelineStage[] {
  return DEFAULT_STAGES.map(([id, name, probability], order) => ({ id, name, order, probability }));
}

/** A stage's id from its name: lower case, words joined by `_` (`Demo booked` → `demo_booked`). */
export const stageIdFrom = (name: string): string =>
  name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 50) || 'stage';

/**
 * Stages as given, in order: ids kept or made from names, `order` from the position.
 * `problem` says why they cannot be used (two stages with one id).
 */
export function stagesFrom(input: Array<{ id?: string; name: string; probability: number }>): { stages: PipelineStage[]; problem: string | null } {
  const stages = input.map((s, order) => ({ id: s.id ?? stageIdFrom(s.name), name: s.name, order, probability: s.probability }));
  const seen = new Set<string>();
  for (const s of stages) {
    if (seen.has(s.id)) return { stages, problem: `two stages have the id "${s.id}": give them different names or ids` };
    seen.add(s.id);
  }
  return { stages, problem: null };
}

/** Where a new lead starts: the pipeline's first stage by order, if it has any. */
export const firstStageId = (stages: PipelineStage[]): string | null => [...stages].sort((a, b) => a.order - b.order)[0]?.id ?? null;
