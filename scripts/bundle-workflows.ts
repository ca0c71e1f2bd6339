/** Bundles the workflow code once (`npm run build:workflows [out]`), for WORKFLOW_BUNDLE_PATH in production. */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowInterceptorModules, workflowsPath } from '../workers/createWorker.ts';

const out = process.argv[2] ?? 'workflow-bundle.js';
const { code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules });
writeFileSync(out, code);
console.log(`workflow bundle written to ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
