import { describePrismDynamic } from './prism-dynamic.js';

// One file per version, so that the two Prism processes and their enrichments can run in parallel workers.
describePrismDynamic('v4');
