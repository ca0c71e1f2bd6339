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
