/** Entry point bundled by the worker: every workflow Homeostat registers. */
export { incidentWorkflow } from './incident';
export { escalationDeliveryWorkflow } from './escalation-delivery';
