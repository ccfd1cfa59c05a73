import { MAX_DURATION_SEC, type ElementSpec } from './types.js';

/**
 * `<Hangup>`: ends the call, now or after a delay.
 * https://www.plivo.com/docs/voice/xml/hangup
 */
export const hangupSpec = {
  name: 'Hangup',
  doc: 'Ends the call; with schedule, the call ends later and the elements after this one run meanwhile.',
  attributes: {
    reason: {
      type: 'enum',
      values: ['rejected', 'busy'],
      doc: 'For an unanswered call: reject it, or signal busy.',
    },
    schedule: {
      type: 'integer',
      min: 1,
      max: MAX_DURATION_SEC,
      unit: 'seconds',
      field: 'scheduleSec',
      doc: 'End the call this long from now instead of at once.',
    },
  },
  children: [],
} as const satisfies ElementSpec;
