export { init, name, available, whyUnavailable, BACKEND_NAMES } from './backend';
export type { BackendName } from './backend';
