/**
 * Hangup causes (the FreeSWITCH/Q.850 names Plivo reports) for SIP final responses, as in RFC 3398 §8.2.6.1
 * read backwards, and the status we answer with for a cause.
 */

/** The hangup cause for a final failure response to our INVITE. */
export function causeForStatus(status: number): string {
  switch (status) {
    case 404:
    case 484:
      return 'UNALLOCATED_NUMBER';
    case 403:
    case 603:
      return 'CALL_REJECTED';
    case 408:
    case 480:
      return 'NO_ANSWER';
    case 486:
    case 600:
      return 'USER_BUSY';
    case 487:
      return 'ORIGINATOR_CANCEL';
    case 488:
    case 606:
      return 'INCOMPATIBLE_DESTINATION';
    case 401:
    case 407:
      return 'CALL_REJECTED';
    case 502:
    case 503:
      return 'SERVICE_UNAVAILABLE';
    case 504:
      return 'RECOVERY_ON_TIMER_EXPIRE';
    default:
      return status >= 500 ? 'NORMAL_TEMPORARY_FAILURE' : 'CALL_REJECTED';
  }
}

/**
 * The Q.850 cause value for a hangup cause name in a BYE's Reason header (RFC 3326): the causes the SIP
 * layer ends calls with for a reason of its own; everything else is 16, normal clearing.
 */
export function q850CauseFor(cause: string): number {
  switch (cause) {
    case 'NETWORK_OUT_OF_ORDER':
      return 38;
    case 'INCOMPATIBLE_DESTINATION':
      return 88;
    case 'RECOVERY_ON_TIMER_EXPIRE':
      return 102;
    default:
      return 16;
  }
}

/** Methods we implement (the Allow header, RFC 3261 §20.5). */
export const ALLOWED_METHODS = 'INVITE, ACK, BYE, CANCEL, OPTIONS';

/** Methods we know but do not support here: answered 405 (RFC 3261 §21.4.6); anything else is 501. */
export const KNOWN_UNSUPPORTED = new Set([
  'REGISTER',
  'SUBSCRIBE',
  'NOTIFY',
  'REFER',
  'MESSAGE',
  'INFO',
  'UPDATE',
  'PRACK',
  'PUBLISH',
]);
